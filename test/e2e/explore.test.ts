// The Map and Duplicates pages in Debian's Chromium against server mode, on real data: the demo's
// openclipart drawings with MobileNetV2 and Universal Sentence Encoder vectors and a trained run. Lay out a map (a job),
// see it drawn by WebGL, lasso points and open them in the search grid, map the run's shared space;
// find duplicates, flag the ones straddling train and test, and mark one as not a duplicate.
// Screenshots go to test/e2e/screenshots/.
import { existsSync, mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIPART_DIR } from '../../src-main/core/demo/clipart.ts';
import { runDemo } from '../../src-main/core/demo/demo.ts';
import { openApp, screenshots, SHOTS, type BrowserSession } from './browser.ts';
import { searchPageTests } from './search-page.ts';

describe.runIf(existsSync(CLIPART_DIR))('the Map and Duplicates pages on real data', () => {
  let app: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    app = await openApp({
      prefix: 'altmoe-e2e-map-',
      threads: 2,
      // 160 drawings still hold duplicate groups that straddle train and test.
      fill: async (catalog) => {
        await runDemo(catalog, { items: 160, budgetSeconds: 6, threads: 2 });
      },
      // No GPU here: WebGL runs on SwiftShader, Chromium's software renderer.
      args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
    });
    page = app.page;
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  const shot = (name: string) => screenshots(page, name);

  /** How many distinct colours the WebGL canvas itself holds (not the legend over it): a drawn map has the palette's, a blank one only white. */
  async function canvasColours(): Promise<number> {
    const url = await page.locator('[data-testid="map-canvas"]').evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());
    const { data } = await sharp(Buffer.from(url.split(',')[1]!, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 3) seen.add((data[i]! >> 4) * 256 + (data[i + 1]! >> 4) * 16 + (data[i + 2]! >> 4));
    return seen.size;
  }

  it('lays out a map, draws it, and opens lassoed points in the search grid', async () => {
    await page.click('nav [data-page="map"]');
    await expect.poll(() => page.locator('select[aria-label="map source"] option').allInnerTexts()).toEqual([
      expect.stringMatching(/^mobilenet \(image, \d+ vectors\)$/),
      expect.stringMatching(/^use \(text, \d+ vectors\)$/),
      expect.stringMatching(/^run 1 · demo \(shared space\)$/),
    ]);
    await page.selectOption('select[aria-label="map source"]', 'encoder:mobilenet');
    await page.click('[data-action="lay-out"]');
    await page.locator('.job[data-kind="map"][data-status="done"]').first().waitFor({ timeout: 120_000 });
    await expect.poll(() => page.locator('.map-info').innerText()).toMatch(/^\d+ points of mobilenet · laid out in \d+\.\d s/);
    await expect.poll(canvasColours).toBeGreaterThan(4);
    await page.selectOption('select[aria-label="colour by"]', 'split');
    expect(await page.locator('.legend li').allInnerTexts()).toEqual([expect.stringMatching(/^train\s+\d+$/), expect.stringMatching(/^val\s+\d+$/), expect.stringMatching(/^test\s+\d+$/)]);
    await shot('map');

    // A lasso around the middle of the plot picks points; they open in the search grid.
    await page.selectOption('select[aria-label="mouse mode"]', 'lasso');
    const box = (await page.locator('[data-testid="map-canvas"]').boundingBox())!;
    const [cx, cy, r] = [box.x + box.width / 2, box.y + box.height / 2, Math.min(box.width, box.height) * 0.3];
    await page.mouse.move(cx + r, cy);
    await page.mouse.down();
    // It ends short of where it began: a release at the press point would count as a click.
    for (let a = 0; a <= 1.8 * Math.PI; a += Math.PI / 16) {
      await page.mouse.move(cx + r * Math.cos(a), cy + r * Math.sin(a), { steps: 2 });
      // The lasso records a point at most every 10 ms.
      await page.waitForTimeout(20);
    }
    await page.mouse.up();
    await expect.poll(() => page.locator('[data-action="open-selection"]').innerText()).toMatch(/^Open [1-9][\d,]* selected in Search$/);
    const n = Number((await page.locator('[data-action="open-selection"]').innerText()).replace(/\D/g, ''));
    await page.click('[data-action="open-selection"]');
    await page.locator('[data-section="map-selection"] .hit').first().waitFor();
    expect(await page.locator('[data-section="map-selection"] .hit').count()).toBe(Math.min(n, 2000));
    expect(await page.locator('[data-section="map-selection"] h3').innerText()).toMatch(new RegExp(`${n.toLocaleString('en-US')} point\\(s\\) picked on the map of mobilenet`));
    await expect.poll(() => page.locator('[data-section="map-selection"] .hit img').first().evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);

    // The run's shared space: drawings and their titles together.
    await page.click('nav [data-page="map"]');
    await page.selectOption('select[aria-label="map source"]', 'run:1');
    await page.click('[data-action="lay-out"]');
    await expect.poll(() => page.locator('.map-info').innerText(), { timeout: 120_000 }).toMatch(/points of run 1 \(text space\)/);
    await page.selectOption('select[aria-label="colour by"]', 'modality');
    expect(await page.locator('.legend li').allInnerTexts()).toEqual([expect.stringMatching(/^image\s+\d+$/), expect.stringMatching(/^text\s+\d+$/)]);
    await expect.poll(canvasColours).toBeGreaterThan(2);
    await shot('map-run');
  }, 240_000);

  it('finds duplicates, flags the ones straddling train and test, and remembers "not a duplicate"', async () => {
    await page.click('nav [data-page="duplicates"]');
    // The defaults: images, by the encoder with the most vectors, at the default threshold.
    await page.click('[data-action="find-duplicates"]');
    await expect.poll(() => page.locator('[data-testid="duplicates-summary"]').innerText()).toMatch(/^\d+ group\(s\), \d+ redundant item\(s\) · compared \d+ image vectors of mobilenet at cosine ≥ 0\.969/);
    expect(await page.locator('.group').count()).toBeGreaterThan(0);
    await shot('duplicates');
    // Every modality: the titles too, by the sentence encoder.
    await page.selectOption('select[aria-label="modality"]', '');
    await page.click('[data-action="find-duplicates"]');
    await expect.poll(() => page.locator('[data-testid="duplicates-summary"]').innerText()).toMatch(/compared \d+ image vectors of mobilenet, \d+ text vectors of use/);
    // "Not a duplicate" on a member marks it against each other member of its group; the scan
    // runs again without it.
    const marksIn = async (): Promise<number> => Number(/(\d+) “not a duplicate” mark/.exec(await page.locator('[data-testid="duplicates-summary"]').innerText())![1]);
    const before = await marksIn();
    const first = page.locator('.group').first();
    const size = Number(/(\d+) \w+ item\(s\)/.exec(await first.locator('h3').innerText())![1]);
    const key = await first.locator('.member').nth(1).locator('.key').innerText();
    await first.locator('[data-action="not-duplicate"]').nth(1).click();
    await expect.poll(marksIn).toBe(before + size - 1);
    expect(await page.locator('.group').first().locator('.member .key').allInnerTexts()).not.toContain(key);
    // Members by their titles (the file path under it).
    const titles = await page.locator('.group .member [data-testid="member-title"]').allInnerTexts();
    expect(titles.length).toBeGreaterThan(0);
    expect(titles.filter((t) => /\.svg$/.test(t)).length).toBeLessThan(titles.length);
    // The slider says what its threshold gives; a lower one finds more duplicates (in fewer, larger
    // groups, as near copies chain), a page of groups at a time.
    await page.selectOption('select[aria-label="modality"]', 'image');
    await page.click('[data-action="find-duplicates"]');
    const slider = page.locator('label', { has: page.locator('[data-testid="threshold"]') });
    await expect.poll(() => slider.innerText()).toMatch(/Threshold 0\.969 · \d+ group\(s\), \d+ duplicate\(s\)/);
    const duplicatesAt = async (): Promise<number> => Number(/(\d+) duplicate\(s\)/.exec(await slider.innerText())?.[1] ?? NaN);
    const groupsAt = async (): Promise<number> => Number(/· (\d+) group\(s\)/.exec(await slider.innerText())?.[1] ?? NaN);
    const atDefault = await duplicatesAt();
    await page.locator('[data-testid="threshold"]').evaluate((el) => {
      const input = el as unknown as { value: string; dispatchEvent(e: unknown): void };
      input.value = '0.85';
      input.dispatchEvent(new (globalThis as unknown as { Event: new (t: string, o: object) => unknown }).Event('input', { bubbles: true }));
      input.dispatchEvent(new (globalThis as unknown as { Event: new (t: string, o: object) => unknown }).Event('change', { bubbles: true }));
    });
    await expect.poll(() => page.locator('[data-testid="duplicates-summary"]').innerText()).toMatch(/at cosine ≥ 0\.850/);
    expect(await duplicatesAt()).toBeGreaterThan(atDefault);
    const atLower = await groupsAt();
    if (atLower > 20) {
      expect(await page.locator('[data-testid="pager"]').innerText()).toMatch(new RegExp(`groups 1–20 of ${Math.min(atLower, 200)}`));
      expect(await page.locator('.group').count()).toBe(20);
      await page.click('[data-action="next-page"]');
      expect(await page.locator('.group h3').first().innerText()).toMatch(/^Group 21/);
    } else expect(await page.locator('[data-testid="pager"]').count()).toBe(0);
  }, 120_000);

  searchPageTests(() => app);

  it("opens the demo run's page by URL: the chosen trial's curves and the test table beside every tuned baseline", async () => {
    await page.evaluate(() => void ((globalThis as unknown as { location: { hash: string } }).location.hash = '#/runs/1'));
    await page.locator('[data-testid="held-out-table"]').waitFor();
    expect(await page.locator('[data-testid="run-page"] p').first().innerText()).toMatch(/curves of auto trial \d/);
    const loss = page.locator('figure', { has: page.locator('figcaption', { hasText: 'training loss per direction' }) });
    expect((await loss.locator('[data-testid="legend-entry"]').allInnerTexts()).sort()).toEqual(['■ image->text', '■ text->image']);
    const table = page.locator('[data-testid="held-out-table"]');
    expect(await table.locator('h3').innerText()).toMatch(/^image-text on test: \d+ items, \d+ captions/);
    for (const name of ['ridge', 'cca', 'knn', 'asif']) expect(await table.locator(`tr[data-baseline="${name}"] td`).count()).toBe(9);
    // Plain words: why the curves end where they do, whether search uses this run, what each number means.
    expect(await page.locator('[data-testid="stop-reason"]').innerText()).toMatch(/^Why it stopped: (ran all \d+ planned steps|stopped early at step \d+ of \d+: the validation score had not improved .+|stopped at step \d+ of \d+: the time budget ran out.*)\.$/);
    expect(await page.locator('[data-testid="serving"]').innerText()).toMatch(/^Serving search for image-text/);
    expect(await table.locator('th', { hasText: 'RSUM' }).getAttribute('title')).toMatch(/sum of the six recalls/);
    // The settings column says where the baselines' settings were chosen.
    expect(await table.locator('th', { hasText: 'tuned settings' }).getAttribute('title')).toMatch(/val split, and also on held-out folds of the training pairs when val is small/);
    await page.click('[data-testid="glossary"] summary');
    expect(await page.locator('[data-testid="glossary"]').innerText()).toMatch(/pred\+cl\s+The training loss/);
    await shot('run-demo');
  }, 60_000);
});
