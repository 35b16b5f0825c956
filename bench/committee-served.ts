// Experiment (not a product path): would a committee of the auto run's trials lift what is served,
// not only the connector alone (docs/decisions.md, "The connector alone")? On runs kept by an
// earlier experiment (EXPERIMENT_RUNS=folder, jobs "pairs:seed,..."): the connector and reverse
// members of the chosen trial, or of every finished trial at once (each query's mean cosine over the
// trials: the trials' unit rows side by side, each scaled by 1/sqrt(T)), beside the run's own
// training-free members; weights chosen on val by the product's held-out choice (no QB-Norm), scored
// on test. Members' rows come from the served graphs.
//   EXPERIMENT_RUNS=/work/runs npx tsx bench/committee-served.ts 500:1,1000:1
import { meanRecall } from '../src-main/core/model/baselines/recall.ts';
import type { MemberName } from '../src-main/core/model/ensemble.ts';
import { heldOutOnRows } from '../src-main/core/model/ensemble-fit.ts';
import { comboScore, memberRows, type MemberRows, type Rows } from '../src-main/core/model/ensemble-rows.ts';
import type { EvalSet } from '../src-main/core/model/eval-set.ts';
import { runConfig, servedWith } from '../src-main/core/runs/config.ts';
import { evalSetOf } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { bestTrials, concatRows, eachDefaultRun, trialRows } from './trial-rows.ts';

const round = (x: number) => Math.round(x * 100) / 100;
const FREE: readonly MemberName[] = ['ridge', 'knn', 'cca', 'asif'];
/** One member whose cosine is the mean of the given unit members' (each scaled by 1/sqrt(T)). */
const meanOf = (rows: MemberRows[]): MemberRows => concatRows(rows, 1 / Math.sqrt(rows.length));

await eachDefaultRun(process.argv[2]!, async (catalog, auto, pairs, seed) => {
  const config = runConfig(catalog, auto.runId);
  const d = (await runData(catalog, config))[0]!;
  const sets: Record<'val' | 'test', EvalSet> = { val: evalSetOf(d, 'val'), test: evalSetOf(d, 'test') };
  const trials = bestTrials(catalog, auto.runId, config);
  const served = servedWith(config, trials[0]!.values, d.a, d.b);
  const rows = { chosen: { val: {} as Rows, test: {} as Rows }, committee: { val: {} as Rows, test: {} as Rows } };
  for (const split of ['val', 'test'] as const) {
    for (const m of FREE) rows.chosen[split][m] = rows.committee[split][m] = await memberRows(served, served.ensemble, m, sets[split]);
    const each = await Promise.all(trials.map((t) => trialRows(config, t.values, sets[split])));
    Object.assign(rows.chosen[split], { connector: each[0]!.connector, reverse: each[0]!.reverse });
    Object.assign(rows.committee[split], { connector: meanOf(each.map((e) => e.connector)), reverse: meanOf(each.map((e) => e.reverse)) });
  }
  const out: Record<string, unknown> = { pairs, seed, trials: trials.length };
  for (const [name, r] of Object.entries(rows)) {
    const { w } = await heldOutOnRows(r.val, sets.val, d.aDim, d.bDim, config.seed);
    const [r1, mr] = [await comboScore(r.test, w.a2b, w.b2a, sets.test, (x) => x.r1), await comboScore(r.test, w.a2b, w.b2a, sets.test, meanRecall)];
    const alone = await comboScore(r.test, { ...w.a2b, ...Object.fromEntries(FREE.map((m) => [m, 0])), connector: 1, reverse: 1 }, { ...w.b2a, ...Object.fromEntries(FREE.map((m) => [m, 0])), connector: 1, reverse: 1 }, sets.test, meanRecall);
    // Mean recall is (R@1 + R@5 + R@10) / 3 per direction, so RSUM is 300 times the two summed.
    out[name] = { i2t: round(100 * r1.a2b), t2i: round(100 * r1.b2a), rsum: round(300 * (mr.a2b + mr.b2a)), connector_rsum: round(300 * (alone.a2b + alone.b2a)), weights: w };
  }
  out.run_weights = { a2b: served.ensemble.weights, b2a: served.ensemble.weightsB2a ?? served.ensemble.weights };
  console.log(JSON.stringify(out));
});
