// Probe (not a product path): the default run when the validation split is small, as on a user's
// own data (a folder without a val split validates on 10% of its items; a reviewer's set had about
// 70 val pairs). The clipart curve's catalog keeps a seeded SMALL_VAL of its 504 val pairs (the
// others' items are removed), trains the default run on PAIRS training pairs, and scores on the
// curve's 501 test pairs: what the run served, every tuned baseline, each served member alone, ways
// of weighing the members chosen on the small val (QB-Norm left out of those), and the run fitted
// again by the product as it is now (`served_heldout`) and with plain equal weights (`served_equal`).
//   SMALL_VAL=70 npx tsx bench/small-val.ts 500:1,500:2 >> bench/experiments/small-val.jsonl
// EXPERIMENT_RUNS=folder keeps each trained run and scores it again without training.
import path from 'node:path';
import type { Catalog } from '../src-main/core/catalog/catalog.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { runConfig, runParams } from '../src-main/core/runs/config.ts';
import { mulberry32, permutation } from '../src-main/core/util/rng.ts';
import { clipartCatalog } from './clipart.ts';
import { equalOver, memberScores, only, USED, weightsOf, type DirWeights } from './member-scores.ts';
import { eachDefaultRun } from './trial-rows.ts';

const VAL = Number(process.env.SMALL_VAL ?? 70);
const TEXT = process.env.SMALL_VAL_TEXT ?? 'glove';
const round = (x: number) => Math.round(x * 100) / 100;

/** Keeps a seeded VAL of the catalog's val pairs; the items of the others go (with their vectors). */
function shrinkVal(catalog: Catalog, seed: number): void {
  if (TEXT !== 'glove') {
    // The curve's pairs: captions with a GloVe vector, so both text encoders rank the same test pairs.
    catalog.write(() =>
      catalog.db
        .prepare(`DELETE FROM embeddings WHERE encoder_id = (SELECT id FROM encoders WHERE name = ?) AND item_id NOT IN (SELECT e.item_id FROM embeddings e JOIN encoders n ON n.id = e.encoder_id WHERE n.name = 'glove')`)
        .run(TEXT),
    );
  }
  const val = catalog.db.prepare(`SELECT a_item_id AS a, b_item_id AS b FROM pairs WHERE split = 'val' ORDER BY a_item_id, b_item_id`).all() as { a: number; b: number }[];
  const order = permutation(val.length, mulberry32(seed + 7919));
  const drop = Array.from(order.slice(VAL), (i) => val[i]!);
  const del = catalog.db.prepare('DELETE FROM items WHERE id = ?');
  catalog.write(() => drop.forEach((p) => (del.run(p.a), del.run(p.b))));
}

const source = { file: (await clipartCatalog(path.resolve(import.meta.dirname, 'data'), 6500, { image: ['mobilenet'], text: [TEXT as 'glove' | 'use'] })).file, encoders: { image: 'mobilenet', text: TEXT } };
await eachDefaultRun(
  process.argv[2]!,
  async (catalog, auto, pairs, seed) => {
    const config = runConfig(catalog, auto.runId);
    const { val, fit, fits, alone, score, servedOnTest } = await memberScores(catalog, config, runParams(config, 'best', 'image-text'));
    const bestOnVal = (dir: 'mr_i2t' | 'mr_t2i') => [...USED].sort((x, y) => alone[y]!.val[dir] - alone[x]!.val[dir])[0]!;
    const rules: Record<string, DirWeights> = {
      heldout: weightsOf(fits.heldout),
      ascent: weightsOf(fits.ascent),
      equal: { a2b: equalOver(USED), b2a: equalOver(USED) },
      best_member: { a2b: only(bestOnVal('mr_i2t')), b2a: only(bestOnVal('mr_t2i')) },
    };
    const summary = (r: CrossModalResult) => ({ i2t: round(100 * r.forward.r1), t2i: round(100 * r.backward.r1), rsum: round(r.rsum) });
    const t = auto.test['image-text']!;
    const out: Record<string, unknown> = {
      pairs,
      seed,
      val: VAL,
      text: TEXT,
      val_pairs: val.owner.length,
      served: summary(t.connector),
      baselines: Object.fromEntries(Object.entries(t.baselines).map(([n, b]) => [n, summary(b.result)])),
      weighing: fits.heldout.weighing,
      alone,
    };
    for (const [name, w] of Object.entries(rules)) out[name] = await score(w);
    for (const search of ['heldout', 'equal'] as const) {
      const f = await fit({ search });
      out[`served_${search}`] = { ...summary(await servedOnTest(f)), qbnorm: f.qbnorm };
    }
    console.log(JSON.stringify(out));
  },
  source,
  { tag: `val${VAL}-${TEXT}`, prepare: shrinkVal },
);
