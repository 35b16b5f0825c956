// Experiment (not a product path): the default run with a term on unpaired items, or at another
// size, against the default run ('none'). 's1' / 's3' / 's10': the structure term at that weight
// (AltMoeConfig.structure: on batches of the source modality's unpaired items, the mapped items'
// neighbour distribution kept close to the source's); 'self1' / 'self03': self-prediction of the
// unpaired items through the shared stack (AltMoeConfig.selfWeight); 'small' / 'tiny': a narrower
// connector (dim 128, hidden 256; 'tiny' one layer). For each (pairs, seed) job: the run trained as
// bench:curve trains it (or reused, EXPERIMENT_RUNS), with the variant; served test R@1 / RSUM,
// the connector alone (both directions) and the baselines.
//   EXPERIMENT_RUNS=/work/runs-self npx tsx bench/unpaired-terms-ab.ts 500:1,1000:1 self1 >> bench/experiments/unpaired-terms-ab.jsonl
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { runConfig, type ConnectorRunOptions } from '../src-main/core/runs/config.ts';
import { evalSetOf } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { bestTrials, eachDefaultRun, recallOf, sumRecall, trialRows, type Recall } from './trial-rows.ts';

const round = (x: number) => Math.round(x * 100) / 100;
const rounded = (r: Recall): Recall => ({ i2t: round(r.i2t), t2i: round(r.t2i), rsum: round(r.rsum) });
const recall = (r: CrossModalResult): Recall => rounded(recallOf(r));
const variant = process.argv[3] ?? 's1';
const VARIANTS: Record<string, ConnectorRunOptions['overrides']> = { none: {}, s1: { structure: 1 }, s3: { structure: 3 }, s10: { structure: 10 }, small: { dim: 128, hidden: 256 }, tiny: { dim: 128, hidden: 256, layers: 1 }, self1: { selfWeight: 1 }, self03: { selfWeight: 0.3 } };
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
