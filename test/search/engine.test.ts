import fs from 'node:fs';
import path from 'node:path';
import { readSafetensors } from '../../src-main/core/util/safetensors.ts';
import { describe, expect, it } from 'vitest';
import { trainConnector } from '../../src-main/core/runs/run.ts';
import { runConfig, runParams, servedFor } from '../../src-main/core/runs/config.ts';
import { altMoeModel, normParams } from '../../src-main/core/model/altmoe.ts';
import { mapDirection, standardise } from '../../src-main/core/model/evaluate.ts';
import { normalizeRows } from '../../src-main/core/index/exact.ts';
import { galleryMapper, queryMapper } from '../../src-main/core/model/served.ts';
import { SearchEngine } from '../../src-main/core/search/engine.ts';
import { catalogWithVectors, DIMS, SMALL } from '../runs/fixtures.ts';

type Cat = Awaited<ReturnType<typeof catalogWithVectors>>['c'];

function vectorsOf(c: Cat, encoder: string): { ids: number[]; vecs: Float32Array; dim: number } {
  const enc = c.encoders.get(encoder)!;
  const rows = c.db.prepare('SELECT item_id, vector FROM embeddings WHERE encoder_id = ? ORDER BY item_id').all(enc.id) as { item_id: number; vector: Buffer }[];
  const vecs = new Float32Array(rows.length * enc.dim);
  rows.forEach((r, i) => new Uint8Array(vecs.buffer, i * enc.dim * 4, enc.dim * 4).set(r.vector));
  return { ids: rows.map((r) => r.item_id), vecs, dim: enc.dim };
}

/** Brute force: cosine of one query against every row, best first, without the query item. */
function brute(query: Float32Array, rows: Float32Array, ids: number[], dim: number, exclude: number): { id: number; score: number }[] {
  const q = normalizeRows(query, dim);
  const g = normalizeRows(rows, dim);
  return ids
    .map((id, i) => {
      let s = 0;
      for (let k = 0; k < dim; k++) s += q[k]! * g[i * dim + k]!;
      return { id, score: s };
    })
    .filter((x) => x.id !== exclude)
    .sort((a, b) => b.score - a.score);
}

describe('search by catalog item', () => {
  it('within a modality: exact results equal a brute-force ranking', async () => {
    const { c } = await catalogWithVectors();
    const engine = new SearchEngine(c);
    const img = vectorsOf(c, 'img-enc');
    const queryId = img.ids[7]!;
    const hits = await engine.searchByItem({ item: queryId, to: ['image'], k: 5 });
    const expected = brute(img.vecs.subarray(7 * img.dim, 8 * img.dim), img.vecs, img.ids, img.dim, queryId).slice(0, 5);
    expect(hits.map((h) => h.itemId)).toEqual(expected.map((e) => e.id));
    hits.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]!.score, 5));
    expect(hits[0]!).toMatchObject({ modality: 'image', dataset: 'synth', via: 'same space (img-enc)' });
  });

  it('across modalities through a trained connector, equal to mapping + brute force; stale vectors never appear', async () => {
    const { dir, c } = await catalogWithVectors();
    const engine = new SearchEngine(c);
    const img = vectorsOf(c, 'img-enc');
    await expect(engine.searchByItem({ item: img.ids[0]!, to: ['text'] })).rejects.toThrow(/no trained connector for image -> text yet: train the pair image:text first/);
    const s = await trainConnector(c, { pairs: [['image', 'text']], preset: 'laptop', runsDir: path.join(dir, 'runs'), overrides: { ...SMALL, steps: 100, evalEvery: 100 }, threads: 1 });
    const queryId = img.ids[3]!;
    const hits = await engine.searchByItem({ item: queryId, to: ['text'], k: 10 });
    // Reference: map with the run's best parameters, standardise the captions, rank by cosine.
    const config = runConfig(c, s.runId);
    const values = runParams(config);
    const mapped = await mapDirection(altMoeModel(config.model), values, 'image', 'text', img.vecs.subarray(3 * DIMS.image, 4 * DIMS.image));
    const txt = vectorsOf(c, 'txt-enc');
    const [mean, invstd] = normParams('text');
    const expected = brute(mapped, standardise(txt.vecs, values.get(mean) as Float32Array, values.get(invstd) as Float32Array), txt.ids, DIMS.text, queryId).slice(0, 10);
    expect(hits.map((h) => h.itemId)).toEqual(expected.map((e) => e.id));
    expect(hits[0]!.via).toBe(`image->text (run ${s.runId})`);
    expect(hits.every((h) => h.modality === 'text' && h.text!.startsWith('caption'))).toBe(true);

    // A row with another model's hash (e.g. left by an interrupted job of an older version) is never served.
    c.db.prepare("UPDATE embeddings SET encoder_hash = 'old-model' WHERE item_id = ?").run(hits[0]!.itemId);
    const after = await engine.searchByItem({ item: queryId, to: ['text'], k: 10 });
    expect(after.map((h) => h.itemId)).not.toContain(hits[0]!.itemId);

    // A score threshold cuts the list.
    const cut = await engine.searchByItem({ item: queryId, to: ['text'], k: 10, minScore: hits[4]!.score });
    expect(cut.length).toBeLessThanOrEqual(5);
    expect(cut.every((h) => h.score >= hits[4]!.score)).toBe(true);
  }, 60_000);

  it('through an auto run it ranks as the run serves: its query and gallery graphs, by cosine', async () => {
    const { dir, c } = await catalogWithVectors();
    const s = await trainConnector(c, { pairs: [['image', 'text']], runsDir: path.join(dir, 'runs'), overrides: { ...SMALL, steps: 100, evalEvery: 100 }, budgetSeconds: 1, threads: 1 });
    const config = runConfig(c, s.runId);
    expect(config.served?.['image-text']).toBeDefined();
    const img = vectorsOf(c, 'img-enc');
    const txt = vectorsOf(c, 'txt-enc');
    const served = servedFor(config, 'image', 'text');
    const q = await (await queryMapper(served, 'image', 'text')).map(img.vecs.subarray(5 * DIMS.image, 6 * DIMS.image));
    const gallery = await galleryMapper(served, 'text');
    const g = await gallery.map(txt.vecs);
    const expected = brute(q, g, txt.ids, gallery.dim, img.ids[5]!).slice(0, 10);
    const hits = await new SearchEngine(c).searchByItem({ item: img.ids[5]!, to: ['text'], k: 10 });
    expect(hits.map((h) => h.itemId)).toEqual(expected.map((e) => e.id));
  }, 60_000);

  it('above the size threshold it searches an IVF index; probing every list gives the exact results', async () => {
    const { c } = await catalogWithVectors();
    const exact = new SearchEngine(c);
    const ivf = new SearchEngine(c, { annThreshold: 100, ann: 'ivf', nprobe: 10_000 });
    for (const item of [2, 50, 120]) {
      const a = await exact.searchByItem({ item, to: ['image'], k: 8 });
      const b = await ivf.searchByItem({ item, to: ['image'], k: 8 });
      expect(b.map((h) => h.itemId)).toEqual(a.map((h) => h.itemId));
    }
  });

  it('with ann: hnsw it searches an HNSW graph above the size threshold (exact scores, filters ranked exactly), saved and reused until the vectors change', async () => {
    const { dir, c } = await catalogWithVectors();
    const cacheDir = path.join(dir, 'index');
    const exact = new SearchEngine(c);
    const opts = { annThreshold: 100, ann: 'hnsw' as const, cacheDir };
    const hnsw = new SearchEngine(c, opts);
    let found = 0;
    for (const item of [2, 50, 120, 200, 280]) {
      const a = await exact.searchByItem({ item, to: ['image'], k: 10 });
      const b = await hnsw.searchByItem({ item, to: ['image'], k: 10 });
      found += b.filter((h) => a.some((x) => x.itemId === h.itemId)).length;
      // Scores are exact cosines, whatever the graph found.
      for (const h of b) {
        const same = a.find((x) => x.itemId === h.itemId);
        if (same) expect(Math.abs(h.score - same.score)).toBeLessThan(1e-5);
      }
      // With a filter every vector is ranked exactly.
      const fa = await exact.searchByItem({ item, to: ['image'], k: 5, splits: ['test'] });
      expect((await hnsw.searchByItem({ item, to: ['image'], k: 5, splits: ['test'] })).map((h) => h.itemId)).toEqual(fa.map((h) => h.itemId));
    }
    expect(found / 50).toBeGreaterThanOrEqual(0.95);
    const files = fs.readdirSync(cacheDir).sort();
    expect(files).toEqual([expect.stringMatching(/^hnsw-[0-9a-f]{16}\.usearch$/), expect.stringMatching(/^hnsw-[0-9a-f]{16}\.usearch\.json$/)]);
    const meta = path.join(cacheDir, files[1]!);
    const stamp = JSON.parse(fs.readFileSync(meta, 'utf8')).stamp as string;
    // A restart loads the saved graph (same answers, nothing rewritten).
    const before = fs.statSync(path.join(cacheDir, files[0]!)).mtimeMs;
    const again = await new SearchEngine(c, opts).searchByItem({ item: 50, to: ['image'], k: 10 });
    expect(again.map((h) => h.itemId)).toEqual((await hnsw.searchByItem({ item: 50, to: ['image'], k: 10 })).map((h) => h.itemId));
    expect(fs.statSync(path.join(cacheDir, files[0]!)).mtimeMs).toBe(before);
    // Changed vectors: the saved graph no longer matches and is rebuilt.
    c.db.prepare('UPDATE embeddings SET created_at = created_at + 1 WHERE item_id = 7').run();
    await new SearchEngine(c, opts).searchByItem({ item: 5, to: ['image'], k: 5 });
    expect(JSON.parse(fs.readFileSync(meta, 'utf8')).stamp).not.toBe(stamp);
    await exact.close();
    await hnsw.close();
  }, 60_000);

  it('int8 storage returns the exact results and exact scores (candidates re-scored), also through a connector and with filters', async () => {
    const { dir, c } = await catalogWithVectors();
    await trainConnector(c, { pairs: [['image', 'text']], preset: 'laptop', runsDir: path.join(dir, 'runs'), overrides: { ...SMALL, steps: 40, evalEvery: 40 }, threads: 1 });
    const exact = new SearchEngine(c);
    const int8 = new SearchEngine(c, { storage: 'int8' });
    for (const q of [
      { item: 2, to: ['image' as const], k: 8 },
      { item: 50, to: ['text' as const], k: 10 },
      { item: 120, to: ['image' as const, 'text' as const], k: 5, splits: ['test' as const] },
    ]) {
      const a = await exact.searchByItem(q);
      const b = await int8.searchByItem(q);
      expect(b.map((h) => h.itemId)).toEqual(a.map((h) => h.itemId));
      b.forEach((h, i) => expect(Math.abs(h.score - a[i]!.score)).toBeLessThanOrEqual(1e-5));
    }
    await exact.close();
    await int8.close();
  }, 60_000);

  it('above the size threshold it searches IVF lists by default (default nprobe), saved and reused until the vectors change', async () => {
    const { dir, c } = await catalogWithVectors();
    const cacheDir = path.join(dir, 'index');
    // Only the threshold and the cache folder given: the index kind and nprobe are the defaults.
    const opts = { annThreshold: 100, cacheDir };
    const exact = new SearchEngine(c);
    const engine = new SearchEngine(c, opts);
    expect(await recallAgainst(exact, engine)).toBeGreaterThanOrEqual(0.9);
    await exact.close();
    await engine.close();
    const first = await new SearchEngine(c, opts).searchByItem({ item: 5, to: ['image'], k: 5 });
    const files = fs.readdirSync(cacheDir);
    expect(files).toEqual([expect.stringMatching(/^ivf-[0-9a-f]{16}\.safetensors$/)]);
    const file = path.join(cacheDir, files[0]!);
    const saved = fs.readFileSync(file);
    // A new engine (a restart) loads the lists instead of redoing the k-means: same answers, file untouched.
    const again = await new SearchEngine(c, opts).searchByItem({ item: 5, to: ['image'], k: 5 });
    expect(again.map((h) => h.itemId)).toEqual(first.map((h) => h.itemId));
    expect(fs.readFileSync(file).equals(saved)).toBe(true);
    // Changed vectors: the saved lists no longer match and are rebuilt.
    c.db.prepare('UPDATE embeddings SET created_at = created_at + 1 WHERE item_id = 7').run();
    await new SearchEngine(c, opts).searchByItem({ item: 5, to: ['image'], k: 5 });
    expect(readSafetensors(file).metadata.stamp).not.toBe(readStamp(saved));
  });

  it('bad queries give clear errors', async () => {
    const { c } = await catalogWithVectors();
    const engine = new SearchEngine(c);
    await expect(engine.searchByItem({ item: 999_999, to: ['text'] })).rejects.toThrow(/no item 999999 in the catalog/);
    await expect(engine.searchByItem({ item: 1, to: [] })).rejects.toThrow(/at least one target modality/);
    await expect(engine.searchByItem({ item: 1, to: ['audio'] })).rejects.toThrow(/no audio encoder in the catalog: add one, embed, then train the pair image:audio/);
    await expect(engine.searchByItem({ item: 1, to: ['image'], k: 0 })).rejects.toThrow(/k must be a positive integer/);
    await expect(engine.searchByItem({ item: 1, to: ['image'], datasets: ['nope'] })).rejects.toThrow(/no dataset named "nope"/);
  });
});

/** recall@10 of an engine against exact search, over five catalog items' image neighbours. */
async function recallAgainst(exact: SearchEngine, engine: SearchEngine): Promise<number> {
  let found = 0;
  for (const item of [2, 50, 120, 200, 280]) {
    const a = await exact.searchByItem({ item, to: ['image'], k: 10 });
    const b = await engine.searchByItem({ item, to: ['image'], k: 10 });
    found += b.filter((h) => a.some((x) => x.itemId === h.itemId)).length;
  }
  return found / 50;
}

function readStamp(bytes: Buffer): string {
  const n = Number(bytes.readBigUInt64LE(0));
  return (JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as { __metadata__: { stamp: string } }).__metadata__.stamp;
}
