// Experiment (not a product path): a greedy soup of the auto run's trials against its chosen trial,
// for what the run serves. For each (pairs, seed) job it trains the default run on the clipart
// curve's data (its trials each start from the same seeded initialisation), then averages the
// trials' best weights greedily (Wortsman et al. 2022): in order of their val score, a trial joins
// the soup only if the uniform average with it scores higher on val (the score that chose the trial).
// Both parameter sets are then served as the auto run serves (ensemble weights and QB-Norm fitted on
// val) and scored on test, beside the connector alone (its two directions) and the baselines.
//   npx tsx bench/soup-ab.ts 500:1,1000:1 >> bench/experiments/soup-ab.jsonl
import { altMoeModel } from '../src-main/core/model/altmoe.ts';
import { microScore } from '../src-main/core/model/baselines/recall.ts';
import { ensembleValues } from '../src-main/core/model/ensemble.ts';
import { fitEnsemble } from '../src-main/core/model/ensemble-fit.ts';
import { evaluateConnector } from '../src-main/core/model/evaluate.ts';
import type { EvalSet } from '../src-main/core/model/eval-set.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { evaluateServed } from '../src-main/core/model/served.ts';
import { runConfig } from '../src-main/core/runs/config.ts';
import { evalSetOf, trainingRows } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { bestTrials, eachDefaultRun, recallOf, soupOf, sumRecall, trialRows, type Recall, type Values } from './trial-rows.ts';

const round = (x: number) => Math.round(x * 100) / 100;
const rounded = (r: Recall): Recall => ({ i2t: round(r.i2t), t2i: round(r.t2i), rsum: round(r.rsum) });
const recall = (r: CrossModalResult): Recall => rounded(recallOf(r));

await eachDefaultRun(process.argv[2]!, async (catalog, auto, pairs, seed) => {
  const config = runConfig(catalog, auto.runId);
  const spec = altMoeModel(config.model);
  const d = (await runData(catalog, config))[0]!;
  const sets: Record<'val' | 'test', EvalSet> = { val: evalSetOf(d, 'val'), test: evalSetOf(d, 'test') };
  const trials = bestTrials(catalog, auto.runId, config);
  const valScore = async (v: Values) => microScore([{ result: await evaluateConnector(spec, v, sets.val), media: sets.val.aVecs.length / d.aDim, captions: sets.val.owner.length }]);
  const params = trials.map((t) => t.values);
  let ingredients = [0];
  let best = await valScore(params[0]!);
  const tried: { trial: number; val: number; kept: boolean }[] = [];
  for (let j = 1; j < params.length; j++) {
    const s = await valScore(soupOf([...ingredients, j].map((k) => params[k]!)));
    tried.push({ trial: trials[j]!.trial, val: round(s), kept: s > best });
    if (s > best) [best, ingredients] = [s, [...ingredients, j]];
  }
  const variants: Record<string, Values> = { chosen: params[0]!, soup: soupOf(ingredients.map((k) => params[k]!)) };
  const rows = trainingRows(d.splits.train, d.aDim);
  const out: Record<string, unknown> = { pairs, seed, trials: trials.map((t) => ({ trial: t.trial, val: round(t.score) })), ingredients: ingredients.map((k) => trials[k]!.trial), tried };
  for (const [name, values] of Object.entries(variants)) {
    const fit = await fitEnsemble(spec, values, { a: d.a, b: d.b, trainA: rows.a, trainB: rows.b, val: sets.val, ...(d.unpaired ? { unpaired: d.unpaired } : {}) }, config.seed);
    const served = { spec, values: new Map([...values, ...ensembleValues(fit.tensors)]), ensemble: fit.ensemble };
    const alone = await trialRows(config, values, sets.test);
    out[name] = {
      val_served: round(fit.valScore),
      served: recall(await evaluateServed(served, sets.test)),
      connector: rounded(await sumRecall([alone.connector, alone.reverse], sets.test)),
      forward: recall(await evaluateConnector(spec, values, sets.test)),
    };
  }
  const base = auto.test['image-text']!.baselines;
  out.run_served = recall(auto.test['image-text']!.connector);
  out.baselines = Object.fromEntries(Object.entries(base).map(([n, b]) => [n, recall(b.result)]));
  console.log(JSON.stringify(out));
});
