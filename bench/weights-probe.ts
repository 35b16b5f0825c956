// Experiment (not a product path): ways of weighing the served ensemble's members, each chosen on val
// only, scored on test, on runs kept by an earlier experiment (EXPERIMENT_RUNS=folder, jobs
// "pairs:seed,..."). Members' rows come from the served graphs; QB-Norm is left out (it is fitted on
// top of whichever weights are chosen).
//   EXPERIMENT_RUNS=/work/runs npx tsx bench/weights-probe.ts 500:1,1000:1
import { altMoeModel } from '../src-main/core/model/altmoe.ts';
import { meanRecall } from '../src-main/core/model/baselines/recall.ts';
import { ensembleValues, MEMBERS, NO_MEMBERS, type MemberName } from '../src-main/core/model/ensemble.ts';
import { fitEnsemble } from '../src-main/core/model/ensemble-fit.ts';
import { comboScore, memberRows, type Rows, type Weights } from '../src-main/core/model/ensemble-rows.ts';
import type { Served } from '../src-main/core/model/served.ts';
import { runConfig } from '../src-main/core/runs/config.ts';
import { evalSetOf, trainingRows } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { bestTrials, eachDefaultRun } from './trial-rows.ts';

const round = (x: number) => Math.round(x * 100) / 100;
const USED = MEMBERS.filter((m) => m !== 'zeroshot');

await eachDefaultRun(process.argv[2]!, async (catalog, auto, pairs, seed) => {
  const config = runConfig(catalog, auto.runId);
  const spec = altMoeModel(config.model);
  const d = (await runData(catalog, config))[0]!;
  const [val, test] = [evalSetOf(d, 'val'), evalSetOf(d, 'test')];
  const values = bestTrials(catalog, auto.runId, config)[0]!.values;
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
  const top = (k: number, dir: 'mr_i2t' | 'mr_t2i') => [...USED].sort((x, y) => alone[y]!.val[dir] - alone[x]!.val[dir]).slice(0, k);
  const rules: Record<string, { a2b: Weights; b2a: Weights }> = {
    heldout: { a2b: fits.heldout.ensemble.weights, b2a: fits.heldout.ensemble.weightsB2a ?? fits.heldout.ensemble.weights },
    ascent: { a2b: fits.ascent.ensemble.weights, b2a: fits.ascent.ensemble.weightsB2a ?? fits.ascent.ensemble.weights },
    equal: { a2b: equalOver(USED), b2a: equalOver(USED) },
    top2: { a2b: equalOver(top(2, 'mr_i2t')), b2a: equalOver(top(2, 'mr_t2i')) },
    top3: { a2b: equalOver(top(3, 'mr_i2t')), b2a: equalOver(top(3, 'mr_t2i')) },
    top4: { a2b: equalOver(top(4, 'mr_i2t')), b2a: equalOver(top(4, 'mr_t2i')) },
    no_ridge: { a2b: equalOver(USED.filter((m) => m !== 'ridge')), b2a: equalOver(USED.filter((m) => m !== 'ridge')) },
  };
  const out: Record<string, unknown> = { pairs, seed, alone };
  for (const [name, w] of Object.entries(rules)) out[name] = { val: await score(vr, val, w), test: await score(tr, test, w), w };
  console.log(JSON.stringify(out));
});
