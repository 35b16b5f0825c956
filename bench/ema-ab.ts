// Experiment (not a product path): the default run with Polyak averaging of the connector's
// parameters (OptimizerConfig.ema: validation, the trials' choice and serving all read the moving
// average), against the default run ('none'). For each (pairs, seed) job: the run trained as
// bench:curve trains it (or reused, EXPERIMENT_RUNS), then fitted again by the product as it is now
// (so both variants are served by the same code): served test R@1 / RSUM, the connector alone (both
// directions) and the tuned baselines.
//   EXPERIMENT_RUNS=/work/runs npx tsx bench/ema-ab.ts 500:1,1000:1 ema99 >> bench/experiments/ema-ab.jsonl
import { altMoeModel } from '../src-main/core/model/altmoe.ts';
import { fitEnsemble } from '../src-main/core/model/ensemble-fit.ts';
import { ensembleValues } from '../src-main/core/model/ensemble.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { evaluateServed } from '../src-main/core/model/served.ts';
import { runConfig, runParams, type ConnectorRunOptions } from '../src-main/core/runs/config.ts';
import { evalSetOf, trainingRows } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { bestTrials, eachDefaultRun, recallOf, sumRecall, trialRows, type Recall } from './trial-rows.ts';

const round = (x: number) => Math.round(x * 100) / 100;
const rounded = (r: Recall): Recall => ({ i2t: round(r.i2t), t2i: round(r.t2i), rsum: round(r.rsum) });
const recall = (r: CrossModalResult): Recall => rounded(recallOf(r));
const variant = process.argv[3] ?? 'ema99';
const VARIANTS: Record<string, ConnectorRunOptions['overrides'] | undefined> = { none: undefined, ema99: { ema: 0.99 }, ema995: { ema: 0.995 } };
if (!(variant in VARIANTS)) throw new Error(`unknown variant ${variant}`);

await eachDefaultRun(
  process.argv[2]!,
  async (catalog, auto, pairs, seed) => {
    const config = runConfig(catalog, auto.runId);
    const d = (await runData(catalog, config))[0]!;
    const [val, test] = [evalSetOf(d, 'val'), evalSetOf(d, 'test')];
    const trials = bestTrials(catalog, auto.runId, config);
    const alone = await trialRows(config, trials[0]!.values, test);
    const values = runParams(config, 'best', 'image-text');
    const spec = altMoeModel(config.model);
    const rows = trainingRows(d.splits.train, d.aDim);
    const fit = await fitEnsemble(spec, values, { a: d.a, b: d.b, trainA: rows.a, trainB: rows.b, val, ...(d.unpaired ? { unpaired: d.unpaired } : {}) }, config.seed);
    const served = await evaluateServed({ spec, values: new Map([...values, ...ensembleValues(fit.tensors)]), ensemble: fit.ensemble }, test);
    console.log(
      JSON.stringify({
        pairs,
        seed,
        variant,
        ema: config.optimizer.ema ?? null,
        trials: trials.map((t) => ({ trial: t.trial, val: round(t.score) })),
        served: recall(served),
        served_when_trained: recall(auto.test['image-text']!.connector),
        weighing: fit.weighing,
        qbnorm: fit.qbnorm,
        connector: rounded(await sumRecall([alone.connector, alone.reverse], test)),
        baselines: Object.fromEntries(Object.entries(auto.test['image-text']!.baselines).map(([n, b]) => [n, recall(b.result)])),
      }),
    );
  },
  undefined,
  variant === 'none' ? {} : { tag: variant, overrides: VARIANTS[variant]! },
);
