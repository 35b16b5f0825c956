// The app in Debian's Chromium against server mode, as every browser test opens it: a running
// server for an engine service, a headless profile, the page signed in with the printed token.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { startServer, type RunningServer } from '../../src-main/core/server/server.ts';
import { EngineService } from '../../src-main/core/service/service.ts';

export const UI = path.resolve(import.meta.dirname, '../../out/renderer');
export const SHOTS = path.resolve(import.meta.dirname, 'screenshots');
const CHROMIUM = '/usr/bin/chromium';

export interface BrowserSession {
  dir: string;
  catalog: Catalog;
  service: EngineService;
  server: RunningServer;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * A fresh folder and catalog (filled by `fill` before the server starts), the server and a signed-in
 * page. Chromium gets `args` beside the headless basics (the flags a test needs: fake media, WebGL).
 */
export async function openApp(opts: { prefix: string; fill?: (catalog: Catalog, dir: string) => Promise<void>; args?: string[]; threads?: number }): Promise<BrowserSession> {
  if (!existsSync(path.join(UI, 'index.html'))) throw new Error('the UI is not built: run "npm run build" first (npm test does)');
  if (!existsSync(CHROMIUM)) throw new Error('Chromium is missing: apt-get install chromium');
  // Not the per-test temp folder of helpers.ts: these files must outlive each test.
  const dir = mkdtempSync(path.join(os.tmpdir(), opts.prefix));
  const catalog = Catalog.open(path.join(dir, 'catalog.db'));
  await opts.fill?.(catalog, dir);
  const service = new EngineService(catalog, { version: 'test', mode: 'server', threads: opts.threads ?? 1 });
  const server = await startServer(service, { staticDir: UI });
  // As altmoe serve does: the search thread starts now and stays.
  void service.warmSearch();
  const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', ...(opts.args ?? [])],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(`${server.url}?token=${server.token}`);
  return {
    dir,
    catalog,
    service,
    server,
    context,
    page,
    async close() {
      await context.close();
      await server.close();
      await service.close();
      catalog.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Full-page screenshots of what the page shows, at 1280 px wide (`name.png`) and at 800 px (`name-800.png`). */
export async function screenshots(page: Page, name: string): Promise<void> {
  const size = page.viewportSize() ?? { width: 1280, height: 900 };
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await page.setViewportSize({ width: 800, height: size.height });
  await page.screenshot({ path: path.join(SHOTS, `${name}-800.png`), fullPage: true });
  await page.setViewportSize(size);
}
