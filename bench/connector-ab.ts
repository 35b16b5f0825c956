// Experiment (not a product path): the default run with a change to its connector, against the
// default run ('none'). 'skip': a trainable linear skip in each direction (AltMoeConfig.skip: the
// standardised source times a matrix added to the contrastive head's output), zero at the start;
// 'ridge': the same skip holding the tuned ridge map at the start, the head at zero; 'batch256':
// batches of 256 pairs instead of the preset's 128 (more negatives per contrastive step). For each (pairs, seed) job: the run trained
// as bench:curve trains it (or reused, EXPERIMENT_RUNS), with the given variant; served test R@1 / RSUM, the connector alone (both directions) and the baselines.
//   EXPERIMENT_RUNS=/work/runs-skip npx tsx bench/connector-ab.ts 500:1,1000:1 skip >> bench/experiments/connector-ab.jsonl
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { runConfig, type ConnectorRunOptions } from '../src-main/core/runs/config.ts';
import { evalSetOf } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { bestTrials, eachDefaultRun, recallOf, sumRecall, trialRows, type Recall } from './trial-rows.ts';

const round = (x: number) => Math.round(x * 100) / 100;
const rounded = (r: Recall): Recall => ({ i2t: round(r.i2t), t2i: round(r.t2i), rsum: round(r.rsum) });
const recall = (r: CrossModalResult): Recall => rounded(recallOf(r));
const variant = process.argv[3] ?? 'skip';
const VARIANTS: Record<string, ConnectorRunOptions['overrides']> = { none: {}, skip: { skip: true }, ridge: { skip: 'ridge' }, batch256: { batchSize: 256 } };
if (!(variant in VARIANTS)) throw new Error(`unknown variant ${variant}`);

await eachDefaultRun(
  process.argv[2]!,
  async (catalog, auto, pairs, seed) => {
    const config = runConfig(catalog, auto.runId);
    const d = (await runData(catalog, config))[0]!;
    const test = evalSetOf(d, 'test');
    const trials = bestTrials(catalog, auto.runId, config);
    const alone = await trialRows(config, trials[0]!.values, test);
    const out = {
      pairs,
      seed,
      variant,
      trials: trials.map((t) => ({ trial: t.trial, val: round(t.score) })),
      served: recall(auto.test['image-text']!.connector),
      connector: rounded(await sumRecall([alone.connector, alone.reverse], test)),
      baselines: Object.fromEntries(Object.entries(auto.test['image-text']!.baselines).map(([n, b]) => [n, recall(b.result)])),
    };
    console.log(JSON.stringify(out));
  },
  VARIANTS[variant],
);
