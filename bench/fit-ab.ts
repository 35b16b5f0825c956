// Experiment (not a product path): how the served choice is fitted on val. For each (pairs, seed)
// job it trains the default run on the clipart curve's data (or reuses it, EXPERIMENT_RUNS), then
// fits the ensemble weights and QB-Norm's strength on val for the run's chosen trial once per
// variant of the fit's options and scores each served model on test, beside the run's own served
// figures and the tuned baselines. Variants: 'recall' (the product's fit), 'map10' and 'r1' (what
// the choice is fitted to: mAP@10, R@1), 'floorNN' (equal weights leave out members whose val score
// alone is below NN% of the best member's).
//   npx tsx bench/fit-ab.ts 500:1,1000:1 recall,map10,r1 >> bench/experiments/fit-ab.jsonl
import { altMoeModel } from '../src-main/core/model/altmoe.ts';
import { ensembleValues } from '../src-main/core/model/ensemble.ts';
import { fitEnsemble, type FitOptions } from '../src-main/core/model/ensemble-fit.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { evaluateServed } from '../src-main/core/model/served.ts';
import { runConfig } from '../src-main/core/runs/config.ts';
import { evalSetOf, trainingRows } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { bestTrials, eachDefaultRun, recallOf, type Recall } from './trial-rows.ts';

const round = (x: number) => Math.round(x * 100) / 100;
const recall = (r: CrossModalResult): Recall => {
  const x = recallOf(r);
  return { i2t: round(x.i2t), t2i: round(x.t2i), rsum: round(x.rsum) };
};

const variant = (name: string): FitOptions => {
  if (name === 'recall') return {};
  if (name === 'map10' || name === 'r1') return { criterion: name };
  const floor = /^floor(\d+)$/.exec(name);
  if (floor) return { equalFloor: Number(floor[1]) / 100 };
  throw new Error(`unknown variant ${name}`);
};
const variants = (process.argv[3] ?? 'recall,map10,r1').split(',');

await eachDefaultRun(process.argv[2]!, async (catalog, auto, pairs, seed) => {
  const config = runConfig(catalog, auto.runId);
  const spec = altMoeModel(config.model);
  const d = (await runData(catalog, config))[0]!;
  const [val, test] = [evalSetOf(d, 'val'), evalSetOf(d, 'test')];
  const values = bestTrials(catalog, auto.runId, config)[0]!.values;
  const rows = trainingRows(d.splits.train, d.aDim);
  const out: Record<string, unknown> = { pairs, seed };
  for (const name of variants) {
    const fit = await fitEnsemble(spec, values, { a: d.a, b: d.b, trainA: rows.a, trainB: rows.b, val, ...(d.unpaired ? { unpaired: d.unpaired } : {}) }, config.seed, variant(name));
    const served = { spec, values: new Map([...values, ...ensembleValues(fit.tensors)]), ensemble: fit.ensemble };
    out[name] = { served: recall(await evaluateServed(served, test)), weighing: fit.weighing, weights: { a2b: fit.ensemble.weights, b2a: fit.ensemble.weightsB2a ?? fit.ensemble.weights }, qbnorm: fit.qbnorm };
  }
  out.run_served = recall(auto.test['image-text']!.connector);
  out.baselines = Object.fromEntries(Object.entries(auto.test['image-text']!.baselines).map(([n, b]) => [n, recall(b.result)]));
  console.log(JSON.stringify(out));
});
