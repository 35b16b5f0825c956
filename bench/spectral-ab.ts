// Experiment (not a product path; docs/decisions.md, "Spectral coordinates from every item"): SUE's
// spectral coordinates (arXiv 2505.21524) with an exact eigensolver, on the clipart catalog of
// bench:curve. bench/spectral_catalog.py builds a copy of the catalog with derived encoders: the
// spectral coordinates alone ('mobspec' / 'glospec') and beside the raw vectors ('mobsue' /
// 'glosue'), from a kNN graph over every train-split item (the curve's unpaired rest included). Modes:
//   free    the tuned training-free baselines on raw, spectral and raw + spectral vectors (val score, test RSUM)
//   run     the default run (as bench:curve trains it) on raw + spectral vectors: served, the connector alone, its baselines
//   served  on default runs kept by an earlier experiment (EXPERIMENT_RUNS), the CCA member (and ridge) tuned on
//           raw + spectral vectors in place of the run's, the other members as served; weights by the held-out choice
//   npx tsx bench/spectral-ab.ts free 250:1,500:1 >> bench/experiments/spectral-ab.jsonl
//   EXPERIMENT_RUNS=/work/runs-spectral npx tsx bench/spectral-ab.ts run 500:1
//   EXPERIMENT_RUNS=/work/runs npx tsx bench/spectral-ab.ts served 500:1
// SPECTRAL_CATALOG names the derived catalog (built on first use with K 10, M 64; delete it to build it
// again, e.g. after bench/data is rebuilt).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { normalizeRows } from '../src-main/core/index/exact.ts';
import { meanRecall } from '../src-main/core/model/baselines/recall.ts';
import { tuneBaselines, type TunedBaseline } from '../src-main/core/model/baselines/tuned.ts';
import { NO_MEMBERS, type MemberName } from '../src-main/core/model/ensemble.ts';
import { heldOutOnRows } from '../src-main/core/model/ensemble-fit.ts';
import { comboScore, memberRows, type MemberRows, type Rows } from '../src-main/core/model/ensemble-rows.ts';
import type { EvalSet } from '../src-main/core/model/eval-set.ts';
import { columnStats, evaluateBaselines, standardise } from '../src-main/core/model/evaluate.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { runConfig, servedWith } from '../src-main/core/runs/config.ts';
import { evalSetOf, limitTraining, loadPairData, trainingRows, type PairData } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { clipartCatalog } from './clipart.ts';
import { bestTrials, eachDefaultRun, recallOf, sumRecall, trialRows, type Recall } from './trial-rows.ts';

const [mode, jobsArg] = process.argv.slice(2) as [string, string];
if (!['free', 'run', 'served'].includes(mode) || !jobsArg) throw new Error('usage: spectral-ab.ts free|run|served pairs:seed,...');
const jobs = jobsArg.split(',').map((j) => j.split(':').map(Number) as [number, number]);
const round = (x: number) => Math.round(x * 100) / 100;
const rounded = (r: Recall): Recall => ({ i2t: round(r.i2t), t2i: round(r.t2i), rsum: round(r.rsum) });
const recall = (r: CrossModalResult): Recall => rounded(recallOf(r));

const info = await clipartCatalog(path.resolve(import.meta.dirname, 'data'), 6500, { image: ['mobilenet'], text: ['glove'] });
const derived = path.resolve(process.env.SPECTRAL_CATALOG ?? path.join(os.tmpdir(), 'altmoe-spectral', 'c.db'));
if (!fs.existsSync(derived)) execFileSync('python3', [path.join(import.meta.dirname, 'spectral_catalog.py'), info.file, derived, '10', '64'], { stdio: 'inherit' });
const source = Catalog.open(derived, { create: false });
const RAW = { image: 'mobilenet', text: 'glove' };
const BOTH = { image: 'mobsue', text: 'glosue' };
const pairData = (encoders: { image: string; text: string }) => loadPairData(source, { a: 'image', b: 'text', encoders });

/**
 * A job's baselines with their maps (evaluateBaselines keeps only their recall): tuned on the training rows
 * standardised with their own statistics, as evaluateBaselines tunes them.
 */
async function tuned(full: PairData, pairs: number, seed: number): Promise<{ d: PairData; models: TunedBaseline[]; std: (e: EvalSet) => EvalSet }> {
  const d = limitTraining(full, pairs, seed);
  const rows = trainingRows(d.splits.train, d.aDim);
  const [sa, sb] = [columnStats(rows.a, d.aDim), columnStats(rows.b, d.bDim)];
  const std = (e: EvalSet): EvalSet => ({ ...e, aVecs: standardise(e.aVecs, sa.mean, sa.invstd), bVecs: standardise(e.bVecs, sb.mean, sb.invstd) });
  const models = await tuneBaselines({ a: standardise(rows.a, sa.mean, sa.invstd), b: standardise(rows.b, sb.mean, sb.invstd), dims: { a: d.aDim, b: d.bDim } }, std(evalSetOf(d, 'val')));
  return { d, models, std };
}

if (mode === 'free') {
  const sets = { raw: pairData(RAW), spectral: pairData({ image: 'mobspec', text: 'glospec' }), both: pairData(BOTH) };
  for (const [pairs, seed] of jobs) {
    for (const [name, full] of Object.entries(sets)) {
      const d = limitTraining(full, pairs, seed);
      const results = await evaluateBaselines(trainingRows(d.splits.train, d.aDim), evalSetOf(d, 'val'), evalSetOf(d, 'test'), { a: d.aDim, b: d.bDim });
      const out = Object.fromEntries(Object.entries(results).map(([n, b]) => [n, { val: round(b.valScore), ...recall(b.result) }]));
      console.log(JSON.stringify({ mode, pairs, seed, vectors: name, ...out }));
    }
  }
} else if (mode === 'run') {
  await eachDefaultRun(
    jobsArg,
    async (catalog, auto, pairs, seed) => {
      const config = runConfig(catalog, auto.runId);
      const d = (await runData(catalog, config))[0]!;
      const test = evalSetOf(d, 'test');
      const trials = bestTrials(catalog, auto.runId, config);
      const alone = await trialRows(config, trials[0]!.values, test);
      const out = {
        mode,
        pairs,
        seed,
        trials: trials.map((t) => ({ trial: t.trial, val: round(t.score) })),
        served: recall(auto.test['image-text']!.connector),
        connector: rounded(await sumRecall([alone.connector, alone.reverse], test)),
        baselines: Object.fromEntries(Object.entries(auto.test['image-text']!.baselines).map(([n, b]) => [n, recall(b.result)])),
      };
      console.log(JSON.stringify(out));
    },
    { file: derived, encoders: BOTH },
  );
} else {
  // The kept default runs themselves: their own training-free members and trained connector, with the
  // CCA member (and ridge) swapped for the one tuned on raw + spectral vectors of the same items.
  const both = pairData(BOTH);
  const FREE: readonly MemberName[] = ['ridge', 'knn', 'cca', 'asif'];
  await eachDefaultRun(jobsArg, async (catalog, auto, pairs, seed) => {
    const config = runConfig(catalog, auto.runId);
    const d = (await runData(catalog, config))[0]!;
    const sets: Record<'val' | 'test', EvalSet> = { val: evalSetOf(d, 'val'), test: evalSetOf(d, 'test') };
    const spectral = await tuned(both, pairs, seed);
    for (const s of ['train', 'val', 'test'] as const) {
      if (spectral.d.splits[s].ids!.join() !== d.splits[s].ids!.join()) throw new Error(`the ${s} split of the derived catalog differs from the run's`);
    }
    const rowsOf = async (name: string, split: 'val' | 'test'): Promise<MemberRows> => {
      const m = spectral.models.find((t) => t.name === name)!.maps;
      const e = spectral.std(evalSetOf(spectral.d, split));
      return {
        qa: normalizeRows(await m.aToB.query(e.aVecs), m.aToB.dim),
        gb: normalizeRows(await m.aToB.gallery(e.bVecs), m.aToB.dim),
        dab: m.aToB.dim,
        qb: normalizeRows(await m.bToA.query(e.bVecs), m.bToA.dim),
        ga: normalizeRows(await m.bToA.gallery(e.aVecs), m.bToA.dim),
        dba: m.bToA.dim,
      };
    };
    const trials = bestTrials(catalog, auto.runId, config);
    const served = servedWith(config, trials[0]!.values, d.a, d.b);
    const variants: Record<string, { val: Rows; test: Rows }> = { plain: { val: {}, test: {} }, cca: { val: {}, test: {} }, cca_ridge: { val: {}, test: {} } };
    for (const split of ['val', 'test'] as const) {
      const plain: Rows = {};
      for (const m of FREE) plain[m] = await memberRows(served, served.ensemble, m, sets[split]);
      const t = await trialRows(config, trials[0]!.values, sets[split]);
      Object.assign(plain, { connector: t.connector, reverse: t.reverse });
      variants.plain![split] = plain;
      variants.cca![split] = { ...plain, cca: await rowsOf('cca', split) };
      variants.cca_ridge![split] = { ...variants.cca![split], ridge: await rowsOf('ridge', split) };
    }
    const out: Record<string, unknown> = { mode, pairs, seed };
    const ccaOnly = { ...NO_MEMBERS, cca: 1 };
    for (const [name, r] of Object.entries(variants)) {
      const { w } = await heldOutOnRows(r.val, sets.val, d.aDim, d.bDim, config.seed);
      const r1 = await comboScore(r.test, w.a2b, w.b2a, sets.test, (x) => x.r1);
      const mr = await comboScore(r.test, w.a2b, w.b2a, sets.test, meanRecall);
      const cca = await comboScore(r.test, ccaOnly, ccaOnly, sets.test, meanRecall);
      // Mean recall is (R@1 + R@5 + R@10) / 3 per direction, so RSUM is 300 times the two summed.
      out[name] = { i2t: round(100 * r1.a2b), t2i: round(100 * r1.b2a), rsum: round(300 * (mr.a2b + mr.b2a)), cca_rsum: round(300 * (cca.a2b + cca.b2a)), weights: w };
    }
    console.log(JSON.stringify(out));
  });
}
source.close();
