// Probe (not a product path): the default run when the validation split is small, as on a user's
// own data (a folder without a val split validates on 10% of its items; a reviewer's set had about
// 70 val pairs). The clipart curve's catalog keeps a seeded SMALL_VAL of its 504 val pairs (the
// others' items are removed), trains the default run on PAIRS training pairs, and scores on the
// curve's 501 test pairs: what the run serves, every tuned baseline, each served member alone, and
// ways of weighing the members chosen on the small val (QB-Norm left out of those).
//   SMALL_VAL=70 npx tsx bench/small-val.ts 500:1,500:2 >> bench/experiments/small-val.jsonl
// EXPERIMENT_RUNS=folder keeps each trained run and scores it again without training.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { altMoeModel } from '../src-main/core/model/altmoe.ts';
import { meanRecall } from '../src-main/core/model/baselines/recall.ts';
import { ensembleValues, MEMBERS, NO_MEMBERS, type MemberName } from '../src-main/core/model/ensemble.ts';
import { fitEnsemble } from '../src-main/core/model/ensemble-fit.ts';
import { comboScore, memberRows, type Rows, type Weights } from '../src-main/core/model/ensemble-rows.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { evaluateServed, type Served } from '../src-main/core/model/served.ts';
import { runConfig, runParams } from '../src-main/core/runs/config.ts';
import type { RunSummary } from '../src-main/core/runs/events.ts';
import { evalSetOf, trainingRows } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { trainConnector } from '../src-main/core/runs/run.ts';
import { mulberry32, permutation } from '../src-main/core/util/rng.ts';
import { clipartCatalog } from './clipart.ts';

const VAL = Number(process.env.SMALL_VAL ?? 70);
const TEXT = process.env.SMALL_VAL_TEXT ?? 'glove';
const USED = MEMBERS.filter((m) => m !== 'zeroshot');
const round = (x: number) => Math.round(x * 100) / 100;

/** Keeps a seeded VAL of the catalog's val pairs; the items of the others go (with their vectors). */
function shrinkVal(catalog: Catalog, seed: number): void {
  const val = catalog.db.prepare(`SELECT a_item_id AS a, b_item_id AS b FROM pairs WHERE split = 'val' ORDER BY a_item_id, b_item_id`).all() as { a: number; b: number }[];
  const order = permutation(val.length, mulberry32(seed + 7919));
  const drop = Array.from(order.slice(VAL), (i) => val[i]!);
  const del = catalog.db.prepare('DELETE FROM items WHERE id = ?');
  catalog.write(() => drop.forEach((p) => (del.run(p.a), del.run(p.b))));
}

const jobs = process.argv[2]!.split(',').map((j) => j.split(':').map(Number) as [number, number]);
const info = await clipartCatalog(path.resolve(import.meta.dirname, 'data'), 6500, { image: ['mobilenet'], text: [TEXT as 'glove' | 'use'] });
const keep = process.env.EXPERIMENT_RUNS;
for (const [pairs, seed] of jobs) {
  const work = keep ? path.join(path.resolve(keep), `${pairs}-${seed}-val${VAL}-${TEXT}`) : fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-small-val-'));
  const done = path.join(work, 'summary.json');
  if (!fs.existsSync(done)) {
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    fs.copyFileSync(info.file, path.join(work, 'c.db'));
  }
  const catalog = Catalog.open(path.join(work, 'c.db'), { create: false });
  try {
    const started = Date.now();
    let auto: RunSummary;
    if (fs.existsSync(done)) auto = JSON.parse(fs.readFileSync(done, 'utf8'));
    else {
      if (TEXT !== 'glove') {
        // The curve's pairs: captions with a GloVe vector, so both text encoders rank the same test pairs.
        catalog.write(() =>
          catalog.db
            .prepare(`DELETE FROM embeddings WHERE encoder_id = (SELECT id FROM encoders WHERE name = ?) AND item_id NOT IN (SELECT e.item_id FROM embeddings e JOIN encoders n ON n.id = e.encoder_id WHERE n.name = 'glove')`)
            .run(TEXT),
        );
      }
      shrinkVal(catalog, seed);
      auto = await trainConnector(catalog, { pairs: [['image', 'text']], runsDir: path.join(work, 'runs'), trainPairs: pairs, seed, threads: 1, encoders: { image: 'mobilenet', text: TEXT }, budgetSeconds: 300 });
      if (keep) fs.writeFileSync(done, JSON.stringify(auto));
    }
    const config = runConfig(catalog, auto.runId);
    const spec = altMoeModel(config.model);
    const d = (await runData(catalog, config))[0]!;
    const [val, test] = [evalSetOf(d, 'val'), evalSetOf(d, 'test')];
    const values = runParams(config, 'best', 'image-text');
    const rows = trainingRows(d.splits.train, d.aDim);
    const pair = { a: d.a, b: d.b, trainA: rows.a, trainB: rows.b, val, ...(d.unpaired ? { unpaired: d.unpaired } : {}) };
    const fits = { heldout: await fitEnsemble(spec, values, pair, config.seed, { qbnorm: false }), ascent: await fitEnsemble(spec, values, pair, config.seed, { qbnorm: false, search: 'ascent' }) };
    const base: Served = { spec, values: new Map([...values, ...ensembleValues(fits.heldout.tensors)]), ensemble: fits.heldout.ensemble };
    const rowsOn = async (set: typeof val): Promise<Rows> => Object.fromEntries(await Promise.all(USED.map(async (m) => [m, await memberRows(base, base.ensemble, m, set)] as const)));
    const [vr, tr] = [await rowsOn(val), await rowsOn(test)];
    const score = async (r: Rows, set: typeof val, w: { a2b: Weights; b2a: Weights }) => {
      const [r1, mr] = [await comboScore(r, w.a2b, w.b2a, set, (x) => x.r1), await comboScore(r, w.a2b, w.b2a, set, meanRecall)];
      return { i2t: round(100 * r1.a2b), t2i: round(100 * r1.b2a), mr_i2t: round(100 * mr.a2b), mr_t2i: round(100 * mr.b2a) };
    };
    const only = (m: MemberName): Weights => ({ ...NO_MEMBERS, [m]: 1 });
    const alone: Record<string, { val: Awaited<ReturnType<typeof score>>; test: Awaited<ReturnType<typeof score>> }> = {};
    for (const m of USED) alone[m] = { val: await score(vr, val, { a2b: only(m), b2a: only(m) }), test: await score(tr, test, { a2b: only(m), b2a: only(m) }) };
    const equalOver = (ms: readonly MemberName[]): Weights => ({ ...NO_MEMBERS, ...Object.fromEntries(ms.map((m) => [m, 1])) });
    const bestOnVal = (dir: 'mr_i2t' | 'mr_t2i') => [...USED].sort((x, y) => alone[y]!.val[dir] - alone[x]!.val[dir])[0]!;
    const rules: Record<string, { a2b: Weights; b2a: Weights }> = {
      heldout: { a2b: fits.heldout.ensemble.weights, b2a: fits.heldout.ensemble.weightsB2a ?? fits.heldout.ensemble.weights },
      ascent: { a2b: fits.ascent.ensemble.weights, b2a: fits.ascent.ensemble.weightsB2a ?? fits.ascent.ensemble.weights },
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
      seconds: Math.round((Date.now() - started) / 1000),
      val_pairs: val.owner.length,
      served: summary(t.connector),
      baselines: Object.fromEntries(Object.entries(t.baselines).map(([n, b]) => [n, summary(b.result)])),
      weighing: fits.heldout.weighing,
      alone,
    };
    for (const [name, w] of Object.entries(rules)) out[name] = { val: await score(vr, val, w), test: await score(tr, test, w), w };
    // Served as the product serves (QB-Norm on top where it wins on val): the held-out choice (what
    // the run served: a check) and equal weights.
    for (const search of ['heldout', 'equal'] as const) {
      const fit = await fitEnsemble(spec, values, pair, config.seed, { search });
      out[`served_${search}`] = { ...summary(await evaluateServed({ spec, values: new Map([...values, ...ensembleValues(fit.tensors)]), ensemble: fit.ensemble }, test)), qbnorm: fit.qbnorm };
    }
    console.log(JSON.stringify(out));
  } finally {
    catalog.close();
    if (!keep) fs.rmSync(work, { recursive: true, force: true });
  }
}
