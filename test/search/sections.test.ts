// Search as users expect: the default run is the best on validation, not the newest; a search over
// several modalities answers with what it can and says why the rest cannot.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainConnector } from '../../src-main/core/runs/run.ts';
import { SearchEngine, valScoreOf } from '../../src-main/core/search/engine.ts';
import { parseRunConfig } from '../../src-main/core/runs/config.ts';
import { catalogWithVectors, SMALL } from '../runs/fixtures.ts';

describe('search sections and run choice', () => {
  it('the default run is the best by validation even when a worse one is newer; an explicit run is used as asked', async () => {
    const { dir, c } = await catalogWithVectors();
    const common = { pairs: [['image', 'text']] as [['image', 'text']], preset: 'laptop' as const, runsDir: path.join(dir, 'runs'), threads: 1 };
    const good = await trainConnector(c, { ...common, overrides: SMALL });
    const junk = await trainConnector(c, { ...common, overrides: { ...SMALL, steps: 2, evalEvery: 2, lr: 1e-6 } });
    const score = (id: number) => valScoreOf(c, id, parseRunConfig(c, c.runs.get(id)!.config), 'image', 'text');
    expect(score(good.runId)).toBeGreaterThan(score(junk.runId));
    const engine = new SearchEngine(c);
    const item = (c.db.prepare("SELECT id FROM items WHERE modality = 'image' LIMIT 1").get() as { id: number }).id;
    const hits = await engine.searchByItem({ item, to: ['text'], k: 3 });
    expect(hits[0]!.via).toBe(`image->text (run ${good.runId})`);
    const chosen = await engine.searchByItem({ item, to: ['text'], k: 3, run: junk.runId });
    expect(chosen[0]!.via).toBe(`image->text (run ${junk.runId})`);
    await engine.close();
  }, 120_000);

  it('a modality that cannot be searched is reported with its fix; the others answer', async () => {
    const { c } = await catalogWithVectors();
    const engine = new SearchEngine(c);
    const item = (c.db.prepare("SELECT id FROM items WHERE modality = 'image' LIMIT 1").get() as { id: number }).id;
    const r = await engine.searchSections({ query: { item }, to: ['image', 'text', 'audio'], k: 4 });
    expect(new Set(r.hits.map((h) => h.modality))).toEqual(new Set(['image']));
    expect(r.unavailable).toEqual([
      { modality: 'text', reason: 'no trained connector for image -> text yet: train the pair image:text first', fix: 'train' },
      { modality: 'audio', reason: 'no audio encoder in the catalog: add one, embed, then train the pair image:audio', fix: 'add-encoder' },
    ]);
    // A problem of the query itself still fails it.
    await expect(engine.searchSections({ query: { item: 999_999 }, to: ['image'] })).rejects.toThrow(/no item 999999/);
    await engine.close();
  });
});
