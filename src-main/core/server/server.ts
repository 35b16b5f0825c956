// Server mode: the same API as the desktop app over HTTP + WebSocket on 127.0.0.1, so the UI runs in
// any browser (e.g. against a remote GPU box through an SSH tunnel). Every API, media and event
// request needs the random token printed once at start.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { MediaError, mediaStream, thumbnail } from '../service/media.ts';
import type { EngineService } from '../service/service.ts';
import { isRequestChannel, validatePayload } from '../service/validate.ts';
import { UserError } from '../errors.ts';

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Default: 32 random bytes, hex. */
  token?: string;
  /** The built renderer (out/renderer); without it only the API is served. */
  staticDir?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 100 * 1024 * 1024;
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
const STATIC_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2' };
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function startServer(service: EngineService, options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(32).toString('hex');
  const expected = Buffer.from(token);
  const authorised = (req: http.IncomingMessage, url: URL): boolean => {
    const given = req.headers.authorization?.replace(/^Bearer /, '') ?? url.searchParams.get('token') ?? '';
    const b = Buffer.from(given);
    return b.length === expected.length && timingSafeEqual(b, expected);
  };
  // A page on another site could reach 127.0.0.1 through DNS rebinding: only local Host names are served.
  const localHost = (req: http.IncomingMessage): boolean => LOCAL_HOSTS.has((req.headers.host ?? '').replace(/:\d+$/, ''));

  const server = http.createServer((req, res) => {
    void route(req, res).catch((err: unknown) => send(res, 500, { ok: false, error: err instanceof Error ? err.message : String(err) }));
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!localHost(req)) return send(res, 403, { ok: false, error: 'forbidden host' });
    if (url.pathname.startsWith('/api/')) {
      if (!authorised(req, url)) return send(res, 401, { ok: false, error: 'missing or wrong token' });
      if (req.method !== 'POST') return send(res, 405, { ok: false, error: 'use POST' });
      const channel = decodeURIComponent(url.pathname.slice('/api/'.length));
      if (!isRequestChannel(channel)) return send(res, 404, { ok: false, error: `unknown request "${channel}"` });
      let payload: unknown;
      try {
        const body = await readBody(req);
        payload = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
      } catch (err) {
        return send(res, 400, { ok: false, error: `bad request body: ${(err as Error).message}` });
      }
      try {
        const result = await service.handle(channel, validatePayload(channel, payload));
        return send(res, 200, { ok: true, result });
      } catch (err) {
        return send(res, err instanceof UserError ? 400 : 500, { ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    }
    const media = /^\/(media|thumb)\/(\d+)$/.exec(url.pathname);
    if (media) {
      if (!authorised(req, url)) return send(res, 401, { ok: false, error: 'missing or wrong token' });
      try {
        const id = Number(media[2]);
        if (media[1] === 'thumb') {
          const bytes = await thumbnail(service.catalog, id);
          res.writeHead(200, { 'content-type': 'image/webp', 'cache-control': 'private, max-age=3600' });
          res.end(bytes);
        } else {
          const { stream, type, size } = mediaStream(service.catalog, id);
          res.writeHead(200, { 'content-type': type, 'content-length': size, 'cache-control': 'private, max-age=3600' });
          stream.pipe(res);
        }
      } catch (err) {
        send(res, err instanceof MediaError ? err.status : 500, { ok: false, error: (err as Error).message });
      }
      return;
    }
    return serveStatic(url.pathname, res);
  }

  function serveStatic(pathname: string, res: http.ServerResponse): void {
    const dir = options.staticDir;
    if (!dir) return send(res, 404, { ok: false, error: 'no UI in this server (build it with "npm run build")' });
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
    const file = path.resolve(dir, rel);
    if (!file.startsWith(path.resolve(dir) + path.sep) || !existsSync(file) || !statSync(file).isFile()) return send(res, 404, { ok: false, error: 'not found' });
    res.writeHead(200, { 'content-type': STATIC_TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' });
    createReadStream(file).pipe(res);
  }

  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/events' || !localHost(req) || !authorised(req, url)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
    });
  });
  const unsubscribe = service.on((event, payload) => {
    const message = JSON.stringify({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(message);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
        port,
        token,
        async close() {
          unsubscribe();
          for (const ws of sockets) ws.terminate();
          wss.close();
          const closed = new Promise<void>((r) => server.close(() => r()));
          server.closeAllConnections();
          await closed;
        },
      });
    });
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
