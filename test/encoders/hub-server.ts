// A local HTTP server that answers as the Hugging Face Hub does for what a pull uses: the recursive
// tree listing (/api/models/OWNER/NAME/tree/REV) with git blob ids and LFS SHA-256s, and file
// downloads (/OWNER/NAME/resolve/REV/PATH) with Range requests, ETags and the hub's 404 codes.
// Faults for tests: a file sent slowly (to interrupt it), a file served with other bytes than its
// listing says, and a token the server requires.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubRepo {
  files: Record<string, Buffer>;
  /** Paths stored in LFS (listed with a SHA-256); default: every .onnx file. */
  lfs?: (path: string) => boolean;
}

export interface HubServerOptions {
  repos: Record<string, HubRepo>;
  /** Send this file in chunks of `bytes` every `ms` milliseconds. */
  slow?: { path: string; bytes: number; ms: number };
  /** Serve this file with one byte flipped (the listing keeps the real checksum). */
  corrupt?: string;
  /** Require "Authorization: Bearer <token>". */
  token?: string;
}

export interface HubServer {
  url: string;
  /** Every request: method, path and Range header. */
  requests: { path: string; range: string | null }[];
  /** Bytes of file bodies sent, per path. */
  sent: Map<string, number>;
  options: HubServerOptions;
  close: () => Promise<void>;
}

const gitOid = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const requests: HubServer['requests'] = [];
  const sent = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ path: url.pathname, range: req.headers.range ?? null });
    const fail = (status: number, code: string, message: string): void => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': code });
      res.end(JSON.stringify({ error: message }));
    };
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return fail(401, 'GatedRepo', 'Access to this model is restricted');
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)\/?$/.exec(url.pathname);
    if (tree) {
      const repo = options.repos[decodeURIComponent(tree[1]!)];
      if (!repo || tree[2] !== 'main') return fail(404, 'RepoNotFound', 'Repository not found');
      const lfs = repo.lfs ?? ((p: string) => p.endsWith('.onnx'));
      const dirs = new Set(Object.keys(repo.files).flatMap((p) => (p.includes('/') ? [p.slice(0, p.lastIndexOf('/'))] : [])));
      const entries = [
        ...[...dirs].map((d) => ({ type: 'directory', oid: gitOid(Buffer.from(d)), size: 0, path: d })),
        ...Object.entries(repo.files).map(([p, b]) =>
          lfs(p)
            ? { type: 'file', oid: gitOid(Buffer.from(`pointer ${p}`)), size: b.length, path: p, lfs: { oid: createHash('sha256').update(b).digest('hex'), size: b.length, pointerSize: 134 } }
            : { type: 'file', oid: gitOid(b), size: b.length, path: p },
        ),
      ];
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(entries));
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!resolve) return fail(404, 'NotFound', 'not found');
    const repo = options.repos[decodeURIComponent(resolve[1]!)];
    if (!repo || decodeURIComponent(resolve[2]!) !== 'main') return fail(404, 'RepoNotFound', 'Repository not found');
    const file = decodeURIComponent(resolve[3]!);
    let body = repo.files[file];
    if (!body) return fail(404, 'EntryNotFound', 'Entry not found');
    if (options.corrupt === file) {
      body = Buffer.from(body);
      body[body.length >> 1]! ^= 0xff;
    }
    const etag = `"${createHash('sha256').update(repo.files[file]!).digest('hex')}"`;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = body.length - 1;
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      if (start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` });
        res.end();
        return;
      }
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': end - start + 1, ETag: etag, 'Content-Type': 'application/octet-stream' });
    } else {
      res.writeHead(200, { 'Content-Length': body.length, ETag: etag, 'Content-Type': 'application/octet-stream' });
    }
    const slice = body.subarray(start, end + 1);
    const count = (n: number): void => void sent.set(file, (sent.get(file) ?? 0) + n);
    if (options.slow?.path === file && slice.length > 1) {
      const { bytes, ms } = options.slow;
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        const chunk = slice.subarray(at, at + bytes);
        at += chunk.length;
        count(chunk.length);
        if (at >= slice.length) {
          clearInterval(timer);
          res.end(chunk);
        } else res.write(chunk);
      }, ms);
      res.on('close', () => clearInterval(timer));
      return;
    }
    count(slice.length);
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sent,
    options,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
