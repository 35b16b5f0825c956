// The hostile SVG in a real browser (Debian's Chromium) through the real server: its script must not
// run however the file is opened. A beacon server counts the requests a running script would make;
// the same SVG served bare by the beacon itself is the control that shows the check can fail. And
// sessions bound to their server: two servers on two ports signed in from one browser keep their
// sessions, and the cookies the browser hands a third service on 127.0.0.1 open neither.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { startServer, type RunningServer } from '../../src-main/core/server/server.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { writeFiles } from '../helpers.ts';
import { HOSTILE_SVG } from './hostile.ts';

const CHROMIUM = '/usr/bin/chromium';
const UI = path.resolve(import.meta.dirname, '../../out/renderer');

let dir: string;
let beacon: http.Server;
let beaconUrl: string;
const hits: string[] = [];
/** Cookie headers the browser sent the beacon (another service on the same host). */
const cookiesSeen: string[] = [];
let catalog: Catalog;
let service: EngineService;
let server: RunningServer;
let context: BrowserContext;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error('Chromium is missing: apt-get install chromium');
  if (!existsSync(path.join(UI, 'index.html'))) throw new Error('the UI is not built: npm run build');
  beacon = http.createServer((req, res) => {
    if (req.url === '/raw.svg') {
      res.writeHead(200, { 'content-type': 'image/svg+xml' });
      res.end(HOSTILE_SVG(beaconUrl));
      return;
    }
    if (req.url === '/collect') {
      cookiesSeen.push(req.headers.cookie ?? '');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<p>thanks</p>');
      return;
    }
    hits.push(`${req.url} referer=${req.headers.referer ?? ''}`);
    res.writeHead(204, { 'access-control-allow-origin': '*' });
    res.end();
  });
  await new Promise<void>((r) => beacon.listen(0, '127.0.0.1', () => r()));
  beaconUrl = `http://127.0.0.1:${(beacon.address() as { port: number }).port}`;
  dir = mkdtempSync(path.join(os.tmpdir(), 'altmoe-sec-'));
  writeFiles(dir, { 'media/evil.svg': HOSTILE_SVG(beaconUrl), 'media/evil.txt': 'a drawing' });
  catalog = Catalog.open(path.join(dir, 'c.db'));
  await importDataset(catalog, 'folder', path.join(dir, 'media'), { name: 'm' });
  service = new EngineService(catalog, { version: 't', mode: 'server' });
  server = await startServer(service, { staticDir: UI });
  context = await chromium.launchPersistentContext(path.join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'], acceptDownloads: true });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  await service?.close();
  catalog?.close();
  beacon?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const settle = () => new Promise((r) => setTimeout(r, 1500));

describe('hostile media in the browser', () => {
  it('control: the same SVG served bare runs its script', async () => {
    const page = await context.newPage();
    await page.goto(`${beaconUrl}/raw.svg`);
    await settle();
    expect(hits.some((h) => h.startsWith('/pwned'))).toBe(true);
    await page.close();
    hits.length = 0;
  });

  it('through the server its script never runs: opened directly, in an iframe, an object or an img; the token leaves the URL and never reaches a Referer', async () => {
    const page = await context.newPage();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(`${r.url()} ${r.headers().referer ?? ''}`));
    await page.goto(`${server.url}?token=${server.token}`);
    await page.locator('nav').waitFor();
    expect(page.url()).toBe(server.url);
    const id = (catalog.db.prepare("SELECT id FROM items WHERE key = 'evil.svg'").get() as { id: number }).id;
    // Embedded in the app's own page (same origin, with the session cookie and the page's media key).
    const k = await page.evaluate(`JSON.parse(localStorage.getItem('altmoe.session')).media`);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    await page.evaluate(`for (const tag of ['iframe', 'object', 'embed', 'img']) {
      const el = document.createElement(tag);
      el.setAttribute(tag === 'object' ? 'data' : 'src', '/media/${id}?k=${k}');
      document.body.appendChild(el);
    }`);
    await settle();
    // Opened directly: a download, never a document.
    const direct = await context.newPage();
    const download = direct.waitForEvent('download', { timeout: 10_000 }).catch(() => null);
    await direct.goto(`${server.url}media/${id}?k=${k}`).catch(() => {});
    expect(await download).not.toBeNull();
    await settle();
    expect(hits.filter((h) => h.startsWith('/pwned'))).toEqual([]);
    expect(await page.evaluate(`document.documentElement.getAttribute('data-pwned')`)).toBeNull();
    // Only the first request carried the token.
    expect(urls.filter((u) => u.includes(server.token)).map((u) => u.split(' ')[0])).toEqual([`${server.url}?token=${server.token}`]);
    await direct.close();
    await page.close();
  }, 60_000);

  it('sessions are bound to their server: a second server on another port keeps both signed in; cookies handed to a third service open neither', async () => {
    const second = await startServer(service, { staticDir: UI });
    try {
      const a = await context.newPage();
      await a.goto(`${server.url}?token=${server.token}`);
      await a.locator('nav').waitFor();
      const b = await context.newPage();
      await b.goto(`${second.url}?token=${second.token}`);
      await b.locator('nav').waitFor();
      // Signing in to the second server left the first one's session alone: its page still reads the API.
      const stats = async (p: typeof a) => p.evaluate(`fetch('/api/catalog:stats', { method: 'POST', headers: { 'x-altmoe-key': JSON.parse(localStorage.getItem('altmoe.session')).key } }).then((r) => r.status)`);
      expect(await stats(a)).toBe(200);
      expect(await stats(b)).toBe(200);
      await a.reload();
      await a.locator('nav').waitFor();
      expect(await a.locator('text=Sign out').count()).toBe(1);

      // A third service on 127.0.0.1 receives the cookies of both (cookies are per host, not per port)...
      const thief = await context.newPage();
      await thief.goto(`${beaconUrl}/collect`);
      const jar = cookiesSeen.at(-1) ?? '';
      expect(jar.match(/altmoe_session_[0-9a-f]{12}=[0-9a-f]{64}/g)).toHaveLength(2);
      // ...and replays them, as a script would: the API, media and thumbnails stay closed.
      const id = (catalog.db.prepare("SELECT id FROM items WHERE key = 'evil.svg'").get() as { id: number }).id;
      for (const target of [server, second]) {
        const replay = (p: string, method = 'GET') => fetch(`${target.url}${p}`, { method, headers: { cookie: jar } }).then((r) => r.status);
        expect(await replay('api/catalog:stats', 'POST')).toBe(401);
        expect(await replay(`media/${id}`)).toBe(401);
        expect(await replay(`thumb/${id}`)).toBe(401);
      }
      await thief.close();

      // Signing out of the first ends that session only.
      await a.click('text=Sign out');
      await a.waitForURL(`${server.url}signin`);
      expect(await a.locator('input[name="token"]').count()).toBe(1);
      expect(await stats(b)).toBe(200);
      await a.close();
      await b.close();
    } finally {
      await second.close();
    }
  }, 60_000);
});
