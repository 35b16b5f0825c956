// The search page as a newcomer meets it, on the demo's real drawings (registered by explore.test.ts,
// which builds that catalog once): calm defaults, a list ordered by the score it shows, whole
// thumbnails, a result view, copies grouped, state in the URL, a warm first query.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { screenshots, type BrowserSession } from './browser.ts';

const QUERY = 'a red apple';

export function searchPageTests(session: () => BrowserSession): void {
  const page = (): Page => session().page;
  const hitsIn = (m: string) => page().locator(`[data-section="${m}"] .hit`);
  const scoresIn = async (m: string): Promise<{ name: string; value: number }[]> =>
    (await hitsIn(m).locator('[data-testid="shown-score"]').allInnerTexts()).map((t) => ({ name: t.split(' ')[0]!, value: Number(t.split(' ')[1]) }));
  async function searchFor(q: string): Promise<number> {
    const p = page();
    await p.fill('input[aria-label="query"]', q);
    const t0 = Date.now();
    await p.click('form button[type="submit"]');
    await expect.poll(() => p.locator('.results-info').innerText().catch(() => ''), { timeout: 30_000 }).toContain(`“${q}”`);
    return Date.now() - t0;
  }

  it('the first query answers warm; only searchable modalities are ticked, explained once; the list is ordered by the score each card shows, its words marked', async () => {
    const p = page();
    await p.evaluate(() => void ((globalThis as unknown as { location: { hash: string } }).location.hash = '#/search'));
    // The lasso's picks from the map test are still shown: clear them, as a user would.
    await p.locator('[data-target="image"]').waitFor();
    // (they load after the page shows: wait for them before deciding)
    const picked = p.locator('[data-section="map-selection"] button.link', { hasText: 'clear' });
    await picked.waitFor({ timeout: 10_000 }).catch(() => undefined);
    if (await picked.count()) await picked.click();
    // A calm empty page: no result headers, no counts, no warnings.
    await expect.poll(() => p.locator('.section h3, .results-info, .unavailable').count()).toBe(0);
    expect(await p.isChecked('[data-target="image"]')).toBe(true);
    expect(await p.isChecked('[data-target="text"]')).toBe(true);
    // This catalog has no audio encoder: unticked, and said once beside the boxes.
    expect(await p.isChecked('[data-target="audio"]')).toBe(false);
    expect(await p.locator('[data-testid="not-searchable"]').innerText()).toMatch(/audio: no vectors yet/);
    // Finished jobs (the maps laid out before) fold into one line; dismissed, it stays gone.
    expect(await p.locator('[data-testid="finished-jobs"]').count()).toBe(1);
    expect(await p.locator('.job:not(.chip)[data-status="done"]').count()).toBe(0);
    await p.click('[data-action="dismiss-finished"]');
    await expect.poll(() => p.locator('[data-testid="finished-jobs"]').count()).toBe(0);
    // The server warmed its search thread at start: the first query is as fast as any.
    expect(session().service.searchRunning).toBe(true);
    const wall = await searchFor(QUERY);
    const ms = Number(/in (\d+) ms/.exec(await p.locator('.results-info').innerText())![1]);
    console.log(`first query: ${ms} ms in the engine, ${wall} ms from the click to the results on screen`);
    expect(ms).toBeLessThan(300);
    expect(await p.locator('.unavailable').count()).toBe(0);
    for (const m of ['image', 'text']) {
      const scores = await scoresIn(m);
      expect(scores.length).toBeGreaterThan(0);
      // Words count by default: every card shows its match score, and the list follows it.
      expect(new Set(scores.map((s) => s.name))).toEqual(new Set(['match']));
      for (let i = 1; i < scores.length; i++) expect(scores[i]!.value).toBeLessThanOrEqual(scores[i - 1]!.value);
    }
    // The query's words are marked where they matched, in titles and captions.
    const marked = (await p.locator('[data-section="text"] mark, [data-section="image"] mark').allInnerTexts()).map((w) => w.toLowerCase());
    expect(marked.length).toBeGreaterThan(0);
    // Not "a": too common a word to say why a drawing matched.
    for (const w of marked) expect(['red', 'apple']).toContain(w);
    // The semantic cosine is on hover.
    expect(await hitsIn('image').first().locator('[data-testid="shown-score"]').getAttribute('title')).toMatch(/cosine -?\d\.\d{3}/);
    // Words alone off: the cosine orders the list and is what the cards show.
    await p.uncheck('input[aria-label="exact words"]');
    await p.click('form button[type="submit"]');
    await expect.poll(async () => (await scoresIn('image'))[0]?.name).toBe('cosine');
    const cosines = (await scoresIn('image')).map((s) => s.value);
    for (let i = 1; i < cosines.length; i++) expect(cosines[i]!).toBeLessThanOrEqual(cosines[i - 1]!);
    await p.check('input[aria-label="exact words"]');
    await searchFor(QUERY);
    await screenshots(p, 'search-results');
    // At 800 px, six results or more above the fold.
    const size = p.viewportSize()!;
    await p.setViewportSize({ width: 800, height: size.height });
    const bottoms = await p.locator('.hit').evaluateAll((els) => els.map((e) => (e as unknown as { getBoundingClientRect(): { bottom: number } }).getBoundingClientRect().bottom));
    expect(bottoms.filter((b) => b <= size.height).length).toBeGreaterThanOrEqual(6);
    await p.setViewportSize(size);
  }, 60_000);

  it('the search lives in the URL: kept across a page switch, Back and a reload', async () => {
    const p = page();
    expect(decodeURIComponent(new URL(p.url()).hash)).toBe(`#/search?q=${QUERY}`);
    const first = await hitsIn('image').first().getAttribute('data-item');
    await p.click('nav [data-page="datasets"]');
    await p.click('nav [data-page="search"]');
    expect(await p.inputValue('input[aria-label="query"]')).toBe(QUERY);
    expect(await hitsIn('image').first().getAttribute('data-item')).toBe(first);
    await p.click('nav [data-page="datasets"]');
    await p.goBack();
    await expect.poll(() => hitsIn('image').first().getAttribute('data-item')).toBe(first);
    const missing: string[] = [];
    p.on('response', (r) => void (r.status() === 404 && missing.push(r.url())));
    await p.reload();
    await expect.poll(() => hitsIn('image').first().getAttribute('data-item').catch(() => null), { timeout: 30_000 }).toBe(first);
    // Nothing the page loads is missing (a favicon included); dismissed jobs stay dismissed.
    expect(missing).toEqual([]);
    expect(await p.locator('[data-testid="finished-jobs"]').count()).toBe(0);
    expect(await p.inputValue('input[aria-label="query"]')).toBe(QUERY);
    // A slow answer shows that it is on its way.
    await p.route('**/api/search:query', async (route) => {
      await new Promise((r) => setTimeout(r, 600));
      await route.continue();
    });
    await p.fill('input[aria-label="query"]', 'a green tree');
    await p.click('form button[type="submit"]');
    await p.locator('[data-testid="searching"]').waitFor({ timeout: 2000 });
    await expect.poll(() => p.locator('.results-info').innerText().catch(() => '')).toContain('a green tree');
    expect(await p.locator('[data-testid="searching"]').count()).toBe(0);
    await p.unroute('**/api/search:query');
  }, 90_000);

  it('a result opens in a view: large picture, captions, dataset, split, path and size, neighbours in each modality; keys step through and close it', async () => {
    const p = page();
    await searchFor(QUERY);
    await hitsIn('image').first().click();
    const view = p.locator('[data-testid="result-view"]');
    await view.waitFor();
    await expect.poll(() => view.locator('img[data-testid="preview"]').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(300);
    expect(await view.locator('dl').innerText()).toMatch(/dataset\s+openclipart[\s\S]*split\s+(train|val|test)[\s\S]*file\s+\/\S+\.svg[\s\S]*size\s+\d+ (kB|MB|bytes)/);
    expect(await view.locator('[data-testid="captions"] li').count()).toBeGreaterThan(0);
    for (const m of ['image', 'text']) await expect.poll(() => view.locator(`[data-neighbours="${m}"] .thumb`).count()).toBeGreaterThan(0);
    expect(await view.locator('header').innerText()).toMatch(/1 of \d+/);
    await screenshots(p, 'result-view');
    await p.keyboard.press('ArrowRight');
    await expect.poll(() => view.locator('header').innerText()).toMatch(/2 of \d+/);
    // "More like this" in the other modality: the titles nearest this drawing.
    await view.locator('[data-more="text"]').click();
    await expect.poll(() => p.locator('.results-info').innerText()).toMatch(/results for more like item \d+/);
    expect(await p.locator('[data-section="image"]').count()).toBe(0);
    expect(await hitsIn('text').count()).toBeGreaterThan(0);
    // Keyboard alone: a focused card opens on Enter, Esc closes.
    await hitsIn('text').first().focus();
    await p.keyboard.press('Enter');
    await view.waitFor();
    await p.keyboard.press('Escape');
    await expect.poll(() => view.count()).toBe(0);
  }, 60_000);

  it('copies of one file are one result, "2 copies", listed in its view', async () => {
    const { catalog } = session();
    const pair = catalog.db
      .prepare("SELECT group_concat(id) AS ids FROM items WHERE modality = 'image' AND content_hash IS NOT NULL GROUP BY content_hash HAVING count(*) = 2 LIMIT 1")
      .get() as { ids: string } | undefined;
    expect(pair, 'the demo set holds a drawing at two paths').toBeDefined();
    const ids = pair!.ids.split(',');
    const p = page();
    // "More like" one copy: the other is the same picture, so it comes first, once, and says so.
    await p.evaluate((id) => void ((globalThis as unknown as { location: { hash: string } }).location.hash = `#/search?item=${id}&to=image`), ids[0]);
    await expect.poll(() => hitsIn('image').count()).toBeGreaterThan(0);
    const seen = await hitsIn('image').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { item: string } }).dataset.item));
    expect(seen.filter((id) => ids.includes(id))).toEqual([ids[1]]);
    // A text search that finds the drawing shows it once with its copy counted.
    const title = (catalog.db.prepare("SELECT t.text FROM pairs p JOIN items t ON t.id = p.b_item_id WHERE p.a_item_id = ? LIMIT 1").get(Number(ids[0])) as { text: string }).text;
    await searchFor(title);
    const cards = await hitsIn('image').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { item: string } }).dataset.item));
    expect(cards.filter((id) => ids.includes(id)).length).toBe(1);
    const card = hitsIn('image').filter({ has: page().locator('[data-testid="copies"]') }).first();
    expect(await card.locator('[data-testid="copies"]').innerText()).toBe('2 copies');
    await card.click();
    await expect.poll(() => p.locator('[data-testid="copy-list"] li').count()).toBe(1);
    await p.keyboard.press('Escape');
  }, 60_000);
}
