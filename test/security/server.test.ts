// Server mode against hostile media, origins, paths and floods: the real server, real requests.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { startServer, type RunningServer } from '../../src-main/core/server/server.ts';
import { Limiter } from '../../src-main/core/server/security.ts';
import { KEY_HEADER, SESSION_LIMITS } from '../../src-main/core/server/sessions.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { runEmbedJob } from '../../src-main/core/encoders/embed-job.ts';
import { addEncoder } from '../../src-main/core/encoders/registry.ts';
import { writeImage } from '../encoders/media.ts';
import { makeImageEncoder } from '../encoders/tiny-encoders.ts';
import { tempCatalog, tempDir, writeFiles } from '../helpers.ts';
import { HOSTILE_SVG } from './hostile.ts';


let dir: string;
let c: Catalog;
let service: EngineService;
let server: RunningServer;
let cookie: string;
/** The API's headers of the session (cookie + key) and the media URL suffix (its media key). */
let auth: Record<string, string>;
let m: string;
let clock = 0;

/** The cookie and keys a correct token exchange hands the page (its script stores the keys). */
function sessionOf(res: { headers: http.IncomingHttpHeaders; body: string }): { cookie: string; auth: Record<string, string>; m: string } {
  const c = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
  const stored = /localStorage\.setItem\('altmoe\.session',("(?:[^"\\]|\\.)*")\)/.exec(res.body);
  const keys = JSON.parse(JSON.parse(stored?.[1] ?? '"{}"') as string) as { key: string; media: string };
  return { cookie: c, auth: { cookie: c, [KEY_HEADER]: keys.key }, m: `?k=${keys.media}` };
}

/** A raw request (fetch would normalise the paths under test). */
function raw(method: string, target: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, method, path: target, headers: { host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

beforeEach(async () => {
  dir = tempDir();
  await writeImage(path.join(dir, 'media/red.png'), [220, 20, 20]);
  writeFiles(dir, { 'media/red.txt': 'a red square', 'media/evil.svg': HOSTILE_SVG('http://127.0.0.1:9'), 'media/evil.txt': 'a drawing', 'outside/secret.png': 'not yours' });
  fs.symlinkSync(path.join(dir, 'outside/secret.png'), path.join(dir, 'media/link.png'));
  fs.writeFileSync(path.join(dir, 'media/link.txt'), 'a link');
  c = tempCatalog(dir);
  await importDataset(c, 'folder', path.join(dir, 'media'), { name: 'm' });
  service = new EngineService(c, { version: 't', mode: 'server' });
  clock = Date.now();
  server = await startServer(service, { staticDir: path.resolve(import.meta.dirname, '../../out/renderer'), now: () => clock });
  ({ cookie, auth, m } = sessionOf(await raw('GET', `/?token=${server.token}`)));
});

afterEach(async () => {
  await server.close();
  await service.close();
});

const itemId = (key: string): number => (c.db.prepare('SELECT id FROM items WHERE key = ?').get(key) as { id: number }).id;

describe('server mode security', () => {
  it('the token is exchanged for a session bound to this server and leaves the URL; it authorises nothing in a URL after that', async () => {
    const first = await raw('GET', `/?token=${server.token}&signin=1#x`);
    expect(first.status).toBe(200);
    // The exchange page stores the keys and moves on without the token; its CSP allows that one script.
    expect(first.body).toMatch(/location\.replace\("\/"\)/);
    expect(first.body).not.toContain(server.token);
    expect(first.headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(first.headers['set-cookie']![0]).toMatch(/^altmoe_session_[0-9a-f]{12}=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/$/);
    const s = sessionOf(first);
    expect((await raw('GET', '/', { cookie: s.cookie })).status).toBe(200);
    expect((await raw('POST', '/api/app:info', s.auth)).status).toBe(200);
    expect((await raw('GET', `/thumb/${itemId('red.png')}${s.m}`, { cookie: s.cookie })).status).toBe(200);
    // The cookie alone (as another service on 127.0.0.1 receives it) opens the UI files, not the API or media.
    expect((await raw('POST', '/api/app:info', { cookie: s.cookie })).status).toBe(401);
    expect((await raw('GET', `/media/${itemId('red.png')}`, { cookie: s.cookie })).status).toBe(401);
    expect((await raw('GET', `/media/${itemId('red.png')}?k=${'0'.repeat(64)}`, { cookie: s.cookie })).status).toBe(401);
    // Keys of one session do not open another.
    expect((await raw('POST', '/api/app:info', { ...s.auth, cookie })).status).toBe(401);
    // The token in a URL no longer opens the API, media or the socket.
    for (const target of [`/api/app:info?token=${server.token}`, `/media/${itemId('red.png')}?token=${server.token}`, `/thumb/${itemId('red.png')}?token=${server.token}`]) {
      expect((await raw(target.startsWith('/api') ? 'POST' : 'GET', target)).status).toBe(401);
    }
    // A bearer header (scripts) works; a wrong cookie or token does not.
    expect((await raw('POST', '/api/app:info', { authorization: `Bearer ${server.token}` })).status).toBe(200);
    expect((await raw('POST', '/api/app:info', { ...auth, cookie: `${cookie.split('=')[0]}=${'0'.repeat(64)}` })).status).toBe(401);
    expect((await raw('GET', '/?token=wrong')).status).toBe(401);
    // Without a session the page asks for the token; /signin always does.
    const login = await raw('GET', '/');
    expect(login.status).toBe(401);
    expect(login.body).toMatch(/<form method="get" action="\/">.*name="token"/s);
    expect((await raw('GET', '/signin', { cookie })).status).toBe(200);
  });

  it('sessions end on sign-out, after the idle time and at the absolute age; token exchanges are rate-limited', async () => {
    // Sign-out: needs the key, ends the session, clears the cookie.
    expect((await raw('POST', '/signout', { cookie })).status).toBe(401);
    const out = await raw('POST', '/signout', auth);
    expect(out.status).toBe(200);
    expect(out.headers['set-cookie']![0]).toMatch(/^altmoe_session_[0-9a-f]{12}=; .*Max-Age=0/);
    expect((await raw('POST', '/api/app:info', auth)).status).toBe(401);
    expect((await raw('GET', '/', { cookie })).status).toBe(401);

    // Idle: a session used within the idle time lives on; one left alone longer ends.
    const a = sessionOf(await raw('GET', `/?token=${server.token}`));
    clock += SESSION_LIMITS.idleMs - 1000;
    expect((await raw('POST', '/api/app:info', a.auth)).status).toBe(200);
    clock += SESSION_LIMITS.idleMs - 1000;
    expect((await raw('POST', '/api/app:info', a.auth)).status).toBe(200);
    clock += SESSION_LIMITS.idleMs + 1000;
    expect((await raw('POST', '/api/app:info', a.auth)).status).toBe(401);

    // Absolute age: even a session in constant use ends.
    const b = sessionOf(await raw('GET', `/?token=${server.token}`));
    for (let t = 0; t < SESSION_LIMITS.maxAgeMs; t += SESSION_LIMITS.idleMs / 2) {
      clock += SESSION_LIMITS.idleMs / 2;
      expect((await raw('POST', '/api/app:info', b.auth)).status).toBe(200);
    }
    clock += 1000;
    expect((await raw('POST', '/api/app:info', b.auth)).status).toBe(401);

    // Rate: at most SESSION_LIMITS.exchanges in a window (the exchanges above are out of it by now).
    clock += SESSION_LIMITS.exchangeWindowMs;
    for (let i = 0; i < SESSION_LIMITS.exchanges; i++) expect((await raw('GET', `/?token=${server.token}`)).status).toBe(200);
    const refused = await raw('GET', `/?token=${server.token}`);
    expect(refused.status).toBe(429);
    expect(refused.headers['set-cookie']).toBeUndefined();
    clock += SESSION_LIMITS.exchangeWindowMs;
    expect((await raw('GET', `/?token=${server.token}`)).status).toBe(200);
  });

  it('every response carries the security headers', async () => {
    const red = itemId('red.png');
    for (const [method, target, headers] of [
      ['GET', '/', { cookie }],
      ['GET', '/', {}],
      ['POST', '/api/app:info', auth],
      ['POST', '/api/nope', auth],
      ['GET', `/media/${red}${m}`, { cookie }],
      ['GET', `/thumb/${red}${m}`, { cookie }],
      ['GET', '/missing.js', { cookie }],
      ['GET', '/%zz', {}],
    ] as [string, string, Record<string, string>][]) {
      const r = await raw(method, target, headers);
      expect(r.headers['x-content-type-options'], target).toBe('nosniff');
      expect(r.headers['referrer-policy'], target).toBe('no-referrer');
      expect(r.headers['content-security-policy'], target).toMatch(/frame-ancestors 'none'/);
    }
  });

  it('media never runs: SVG originals are sandboxed downloads, thumbnails are rasters; raster and audio stay inline', async () => {
    const svg = await raw('GET', `/media/${itemId('evil.svg')}${m}`, { cookie });
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['content-disposition']).toBe('attachment');
    expect(svg.headers['content-security-policy']).toMatch(/^sandbox; default-src 'none'/);
    const thumb = await raw('GET', `/thumb/${itemId('evil.svg')}${m}`, { cookie });
    expect(thumb.headers['content-type']).toBe('image/webp');
    const png = await raw('GET', `/media/${itemId('red.png')}${m}`, { cookie });
    expect(png.headers['content-disposition']).toBeUndefined();
    expect(png.headers['content-security-policy']).toMatch(/^sandbox/);
  });

  it('a foreign Origin is refused on the API and the socket; the own origin is accepted', async () => {
    const own = `http://127.0.0.1:${server.port}`;
    expect((await raw('POST', '/api/app:info', { ...auth, origin: 'http://evil.example' })).status).toBe(403);
    expect((await raw('POST', '/api/app:info', { ...auth, origin: own })).status).toBe(200);
    const socket = (origin: string, withCookie = true) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`, ['altmoe', `altmoe-key.${auth[KEY_HEADER]}`], { origin, headers: withCookie ? { cookie } : {} });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
        ws.on('error', () => resolve('error'));
      });
    expect(await socket('http://evil.example')).toBe('403');
    expect(await socket(own, false)).toBe('401');
    expect(await socket(own)).toBe('open');
    // The cookie without the page's key (a replay from elsewhere) does not open the socket.
    const keyless = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`, ['altmoe'], { origin: own, headers: { cookie } });
      ws.on('open', () => (ws.close(), resolve('open')));
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.on('error', () => resolve('error'));
    });
    expect(keyless).toBe('401');
  });

  it('a file-system error is a clear 4xx, never a 500: a loop of links as an import source', async () => {
    fs.symlinkSync('loop2', path.join(dir, 'loop1'));
    fs.symlinkSync('loop1', path.join(dir, 'loop2'));
    const r = await raw('POST', '/api/import:preview', { ...auth, 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ format: 'folder', source: path.join(dir, 'loop1') })));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ ok: false, error: `a loop of symbolic links: ${path.join(dir, 'loop1')}` });
  });

  it('malformed URLs and traversal encodings get 400, an oversized body 413', async () => {
    for (const target of ['/%zz', '/api/%zz', '/%2e%2e/%2e%2e/etc/passwd', '/..%2fpackage.json', '/assets/%00', '/..\\package.json', '/media/..%5c1']) {
      const r = await raw(target.startsWith('/api') ? 'POST' : 'GET', target, auth);
      expect(r.status, target).toBe(400);
      expect(JSON.parse(r.body)).toEqual({ ok: false, error: 'malformed URL' });
    }
    const big = Buffer.alloc(101 * 1024 * 1024, 0x20);
    const r = await raw('POST', '/api/catalog:stats', { ...auth, 'content-type': 'application/json', 'content-length': String(big.length) }, big);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error).toMatch(/over 100 MB/);
    expect((await raw('POST', '/api/app:info', auth)).status).toBe(200);
  }, 60_000);

  it('symlinks out of the root are refused at import (counted, and outright with --strict), at embed and at media', async () => {
    const link = itemId('link.png');
    expect(c.items.getById(link)!.content_hash).toBeNull();
    const report = JSON.parse((c.db.prepare('SELECT report FROM imports ORDER BY id DESC LIMIT 1').get() as { report: string }).report) as { outside: { count: number; examples: string[] } };
    expect(report.outside).toEqual({ count: 1, examples: ['link.png'] });
    await expect(importDataset(c, 'folder', path.join(dir, 'media'), { name: 'strict', strict: true })).rejects.toThrow(/1 media file\(s\) lead outside .* through links \(strict mode\), e\.g\. link\.png/);
    expect((await raw('GET', `/media/${link}${m}`, { cookie })).status).toBe(403);
    expect((await raw('GET', `/thumb/${link}${m}`, { cookie })).status).toBe(403);
    // Embedding reads every image but the link.
    await addEncoder(c, makeImageEncoder(path.join(dir, 'img')), { name: 'img' });
    const r = await runEmbedJob(c, { encoder: 'img' });
    expect(r.failures).toContainEqual({ itemId: link, key: 'link.png', error: 'the file leads outside its dataset root (a link); it is not read' });
    expect(r.embedded).toBe(2); // red.png and evil.svg (rasterised)
  });

  it('a flood of heavy requests is bounded: every request is answered quickly and the server keeps answering', async () => {
    const red = itemId('red.png');
    const started = Date.now();
    const statuses = await Promise.all(Array.from({ length: 300 }, () => raw('GET', `/thumb/${red}${m}`, { cookie }).then((r) => r.status)));
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect((await raw('POST', '/api/app:info', auth)).status).toBe(200);
  }, 60_000);

  it('the heavy-route limiter runs at most 4 at once, queues 64 and refuses the rest', async () => {
    const limiter = new Limiter(4, 64);
    let active = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const task = () =>
      limiter.run(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((r) => gates.push(r));
        active--;
        return 'ran';
      });
    const all = Array.from({ length: 100 }, task);
    await new Promise((r) => setTimeout(r, 10));
    expect(gates.length).toBe(4);
    const refused = await Promise.all(all.slice(68));
    expect(refused.every((x) => x === null)).toBe(true);
    while (gates.length > 0 || active > 0) {
      gates.splice(0).forEach((g) => g());
      await new Promise((r) => setTimeout(r, 1));
    }
    expect((await Promise.all(all.slice(0, 68))).every((x) => x === 'ran')).toBe(true);
    expect(peak).toBe(4);
  });
});
