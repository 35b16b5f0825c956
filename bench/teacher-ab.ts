// Experiment (not a product path): the default run with a teacher's term in the connector's training
// against the default run ('none'). 'kd1' / 'kd03': distillation from the neighbour teacher at weight
// 1 / 0.3 (AltMoeConfig.distill: each batch's contrastive logits kept close, both ways, to those of
// the nearest-neighbours method's leave-own-media-out targets). 'klot1' / 'klot03': SOTAlign's KLOT
// term at weight 1 / 0.3 (AltMoeConfig.klot: on batches of unpaired images and unpaired titles, the
// OT plan of the mapped affinities kept close to the tuned CCA teacher's). For each (pairs, seed)
// job: the run trained as bench:curve trains it (or reused, EXPERIMENT_RUNS), with the variant;
// served test R@1 / RSUM, the connector alone (both directions) and the baselines.
//   EXPERIMENT_RUNS=/work/runs-kd1 npx tsx bench/teacher-ab.ts 500:1,1000:1 kd1 >> bench/experiments/teacher-ab.jsonl
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { runConfig, type ConnectorRunOptions } from '../src-main/core/runs/config.ts';
import { evalSetOf } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { bestTrials, eachDefaultRun, recallOf, sumRecall, trialRows, type Recall } from './trial-rows.ts';

const round = (x: number) => Math.round(x * 100) / 100;
const rounded = (r: Recall): Recall => ({ i2t: round(r.i2t), t2i: round(r.t2i), rsum: round(r.rsum) });
const recall = (r: CrossModalResult): Recall => rounded(recallOf(r));
const variant = process.argv[3] ?? 'kd1';
const VARIANTS: Record<string, ConnectorRunOptions['overrides']> = { none: {}, kd1: { distill: 1 }, kd03: { distill: 0.3 }, klot1: { klot: 1 }, klot03: { klot: 0.3 } };
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
  undefined,
  VARIANTS[variant],
);
