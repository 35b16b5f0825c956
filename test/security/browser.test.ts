// The hostile SVG in a real browser (Debian's Chromium) through the real server: its script must not
// run however the file is opened. A beacon server counts the requests a running script would make;
// the same SVG served bare by the beacon itself is the control that shows the check can fail.
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
    // Embedded in the app's own page (same origin, with the session cookie).
    await page.evaluate(`for (const tag of ['iframe', 'object', 'embed', 'img']) {
      const el = document.createElement(tag);
      el.setAttribute(tag === 'object' ? 'data' : 'src', '/media/${id}');
      document.body.appendChild(el);
    }`);
    await settle();
    // Opened directly: a download, never a document.
    const direct = await context.newPage();
    const download = direct.waitForEvent('download', { timeout: 10_000 }).catch(() => null);
    await direct.goto(`${server.url}media/${id}`).catch(() => {});
    expect(await download).not.toBeNull();
    await settle();
    expect(hits.filter((h) => h.startsWith('/pwned'))).toEqual([]);
    expect(await page.evaluate(`document.documentElement.getAttribute('data-pwned')`)).toBeNull();
    // Only the first request carried the token.
    expect(urls.filter((u) => u.includes(server.token)).map((u) => u.split(' ')[0])).toEqual([`${server.url}?token=${server.token}`]);
    await direct.close();
    await page.close();
  }, 60_000);
});
