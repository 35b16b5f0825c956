// Server mode: the same API as the desktop app over HTTP + WebSocket on 127.0.0.1, so the UI runs in
// any browser (e.g. against a remote GPU box through an SSH tunnel). The random token printed once
// at start is exchanged on the first page load for a session bound to this server (sessions.ts: an
// HttpOnly cookie named for this instance plus keys the page keeps) and removed from the address
// bar; the API, media and the event socket need the session (or the token as a bearer header, for
// scripts). Guards: security.ts.
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { MediaError, mediaHeaders, mediaStream, PREVIEW_SIZE, thumbnail } from '../service/media.ts';
import { BASE_HEADERS, decodePath, Limiter, LOGIN_CSP, LOGIN_PAGE, NONE_CSP, originAllowed, PAGE_CSP } from './security.ts';
import { exchangePage, Sessions, SOCKET_PROTOCOL, type SessionLimits } from './sessions.ts';
import type { EngineService } from '../service/service.ts';
import { isRequestChannel, validatePayload } from '../service/validate.ts';
import { asFileSystemError, FileSystemError, UserError } from '../util/errors.ts';

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Default: 32 random bytes, hex. */
  token?: string;
  /** The built renderer (out/renderer); without it only the API is served. */
  staticDir?: string;
  /** Session expiry and exchange rate (tests shorten them). */
  sessionLimits?: SessionLimits;
  now?: () => number;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** The largest request body (a dropped query file, base64): beyond it, 413. */
export const MAX_BODY = 100 * 1024 * 1024;
const STATIC_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2' };
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function startServer(service: EngineService, options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(32).toString('hex');
  const sessions = new Sessions(token, options.sessionLimits, options.now);
  // A page on another site could reach 127.0.0.1 through DNS rebinding: only local Host names are served.
  const localHost = (req: http.IncomingMessage): boolean => LOCAL_HOSTS.has((req.headers.host ?? '').replace(/:\d+$/, ''));
  // Heavy routes (thumbnails decode images, searches rank indexes): bounded, so a flood cannot starve the rest.
  const heavy = new Limiter(4, 64);

  const server = http.createServer((req, res) => {
    void route(req, res).catch((err: unknown) => send(res, 500, { ok: false, error: err instanceof Error ? err.message : String(err) }));
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!localHost(req)) return send(res, 403, { ok: false, error: 'forbidden host' });
    const pathname = decodePath(req.url ?? '/');
    if (pathname === null) return send(res, 400, { ok: false, error: 'malformed URL' });
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (pathname === '/signout') {
      if (req.method !== 'POST') return send(res, 405, { ok: false, error: 'use POST' });
      if (!originAllowed(req)) return send(res, 403, { ok: false, error: 'forbidden origin' });
      if (!sessions.authorised(req, 'api')) return send(res, 401, { ok: false, error: 'not signed in' });
      sessions.end(req);
      return send(res, 200, { ok: true }, { 'set-cookie': sessions.clearCookie() });
    }
    if (pathname.startsWith('/api/')) {
      if (!sessions.authorised(req, 'api')) return send(res, 401, { ok: false, error: 'missing or wrong session or token' });
      if (req.method !== 'POST') return send(res, 405, { ok: false, error: 'use POST' });
      if (!originAllowed(req)) return send(res, 403, { ok: false, error: 'forbidden origin' });
      const channel = pathname.slice('/api/'.length);
      if (!isRequestChannel(channel)) return send(res, 404, { ok: false, error: `unknown request "${channel}"` });
      let payload: unknown;
      try {
        const body = await readBody(req);
        if (body === null) {
          res.setHeader('connection', 'close');
          return send(res, 413, { ok: false, error: `request body over ${MAX_BODY / 1024 / 1024} MB` });
        }
        payload = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
      } catch (err) {
        return send(res, 400, { ok: false, error: `bad request body: ${(err as Error).message}` });
      }
      try {
        const run = () => service.handle(channel, validatePayload(channel, payload));
        const result = channel === 'search:query' ? await heavy.run(run) : await run();
        if (result === null && channel === 'search:query') return send(res, 503, { ok: false, error: 'busy: too many searches at once; try again' });
        return send(res, 200, { ok: true, result });
      } catch (err) {
        return send(res, err instanceof FileSystemError ? err.status : err instanceof UserError ? 400 : 500, { ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    }
    const media = /^\/(media|thumb|preview)\/(\d+)$/.exec(pathname);
    if (media) {
      if (!sessions.authorised(req, 'media', url)) return send(res, 401, { ok: false, error: 'missing or wrong session or token' });
      try {
        const id = Number(media[2]);
        if (media[1] !== 'media') {
          const bytes = await heavy.run(() => thumbnail(service.catalog, id, media[1] === 'preview' ? PREVIEW_SIZE : undefined));
          if (bytes === null) return send(res, 503, { ok: false, error: 'busy: too many thumbnails at once; try again' });
          res.writeHead(200, { ...BASE_HEADERS, 'content-type': 'image/webp', 'content-security-policy': NONE_CSP, 'cache-control': 'private, max-age=3600' });
          res.end(bytes);
        } else {
          const { stream, type, size } = mediaStream(service.catalog, id);
          res.writeHead(200, { ...BASE_HEADERS, ...mediaHeaders(type), 'content-length': size, 'cache-control': 'private, max-age=3600' });
          stream.pipe(res);
        }
      } catch (caught) {
        const err = asFileSystemError(caught);
        send(res, err instanceof MediaError || err instanceof FileSystemError ? err.status : 500, { ok: false, error: (err as Error).message });
      }
      return;
    }
    // The first load carries the printed token: it becomes a session and leaves the URL.
    if (req.method === 'GET' && url.searchParams.has('token')) {
      if (!sessions.tokenMatches(url.searchParams.get('token'))) return sendLogin(res, 401, 'That token is not this server\'s.');
      const made = sessions.exchange();
      if (!made) return sendLogin(res, 429, 'Too many sign-ins in the last minutes; wait a few minutes and try again.');
      url.searchParams.delete('token');
      url.searchParams.delete('signin');
      const page = exchangePage(made, `${pathname}${url.search}`);
      res.writeHead(200, { ...BASE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': page.csp, 'set-cookie': sessions.cookie(made.id), 'cache-control': 'no-store' });
      res.end(page.html);
      return;
    }
    // The page sends here when its keys are gone or refused (signed out, expired, server restarted).
    if (pathname === '/signin') return sendLogin(res, 200);
    if (!sessions.authorised(req, 'page')) return sendLogin(res, 401);
    return serveStatic(pathname, res);
  }

  function sendLogin(res: http.ServerResponse, status: number, problem?: string): void {
    const page = problem ? LOGIN_PAGE.replace('<form', `<p style="color:#a00">${problem}</p><form`) : LOGIN_PAGE;
    res.writeHead(status, { ...BASE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': LOGIN_CSP, 'cache-control': 'no-store' });
    res.end(page);
  }

  function serveStatic(pathname: string, res: http.ServerResponse): void {
    const dir = options.staticDir;
    if (!dir) return send(res, 404, { ok: false, error: 'no UI in this server (build it with "npm run build")' });
    const rel = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
    const file = path.resolve(dir, rel);
    if (!file.startsWith(path.resolve(dir) + path.sep) || !existsSync(file) || !statSync(file).isFile()) return send(res, 404, { ok: false, error: 'not found' });
    res.writeHead(200, { ...BASE_HEADERS, 'content-type': STATIC_TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-security-policy': PAGE_CSP });
    createReadStream(file).pipe(res);
  }

  // The page offers our protocol and one carrying its key; the answer names ours (never the key).
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(SOCKET_PROTOCOL) ? SOCKET_PROTOCOL : false) });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const pathname = decodePath(req.url ?? '/');
    const refuse = !localHost(req) || !originAllowed(req) ? '403 Forbidden' : pathname !== '/events' || !sessions.authorised(req, 'events') ? '401 Unauthorized' : null;
    if (refuse) {
      socket.write(`HTTP/1.1 ${refuse}\r\nconnection: close\r\n\r\n`);
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

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-security-policy': NONE_CSP, 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** The body, or null when it is over MAX_BODY (said by Content-Length up front, or counted). */
function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) {
    req.resume(); // drain, so the 413 reaches the client instead of a reset
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
