// npm run bench:align — a synthetic cross-modal task whose relation is known and non-linear (two
// random non-linear maps of shared latent factors, noise, 5 captions per item). Trains the
// connector with every ablation switch, evaluates R@K both ways on held-out items, and records them
// with the training-free baselines (ridge = the closed-form linear map; nearest neighbours) in
// bench/results/align.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { altMoeModel, directionName, normParams, type AltMoeConfig } from '../src-main/core/model/altmoe.ts';
import { columnStats, evaluateBaselines, evaluateConnector } from '../src-main/core/model/evaluate.ts';
import { PRESETS } from '../src-main/core/model/presets.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { pairRows, syntheticPairs } from '../test/model/synthetic.ts';
import { train } from '../src-main/core/train/trainer.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../src-main/core/train/checkpoint.ts';
import { buildModel } from '../src-main/core/model/build.ts';

const DIMS = { a: 48, b: 32 };
const WORLD = { latent: 12, dimA: DIMS.a, dimB: DIMS.b, noise: 0.2, captionSpread: 0.5, captionsPerItem: 5 };
const TRAIN_ITEMS = Number(process.env.ALIGN_ITEMS ?? 4000);
const VAL_ITEMS = 1000;
const STEPS = Number(process.env.ALIGN_STEPS ?? 3000);
const RESULTS = path.resolve(import.meta.dirname, 'results/align.json');

// The laptop preset, narrower: the synthetic vectors are small.
const BASE: AltMoeConfig = { kind: 'altmoe', modalities: { image: DIMS.a, text: DIMS.b }, pairs: [['image', 'text']], ...PRESETS.laptop.model, dim: 128, hidden: 256, dropout: 0.05 };
const VARIANTS: Record<string, Partial<AltMoeConfig>> = {
  'altmoe (moe, alternating, pred+cl)': {},
  'mlp connector': { connector: 'mlp' },
  'joint schedule': { schedule: 'joint' },
  'prediction loss only': { loss: 'pred' },
  'contrastive loss only': { loss: 'cl' },
};

function row(r: CrossModalResult): Record<string, number> {
  const pct = (x: number): number => Math.round(1000 * x) / 10;
  return {
    i2t_r1: pct(r.forward.r1),
    i2t_r5: pct(r.forward.r5),
    i2t_r10: pct(r.forward.r10),
    t2i_r1: pct(r.backward.r1),
    t2i_r5: pct(r.backward.r5),
    t2i_r10: pct(r.backward.r10),
    rsum: Math.round(10 * r.rsum) / 10,
  };
}

const trainSet = syntheticPairs({ ...WORLD, items: TRAIN_ITEMS, seed: 1 });
const val = syntheticPairs({ ...WORLD, items: VAL_ITEMS, seed: 2 });
const trainA = pairRows(trainSet, DIMS.a);
const n = trainSet.owner.length;
const rows = { image: { dtype: 'float32' as const, shape: [n, DIMS.a], data: trainA }, text: { dtype: 'float32' as const, shape: [n, DIMS.b], data: trainSet.b } };
const evalSet = { a: 'image', b: 'text', aVecs: val.a, bVecs: val.b, owner: val.owner };
const sa = columnStats(trainA, DIMS.a);
const sb = columnStats(trainSet.b, DIMS.b);
const [ma, ia] = normParams('image');
const [mb, ib] = normParams('text');

const started = performance.now();
// The baselines choose their settings on a separate tuning split, then score on the evaluation split.
const tune = syntheticPairs({ ...WORLD, items: VAL_ITEMS, seed: 4 });
const baselines = await evaluateBaselines({ a: trainA, b: trainSet.b }, { a: 'image', b: 'text', aVecs: tune.a, bVecs: tune.b, owner: tune.owner }, evalSet, DIMS);
const variants: Record<string, Record<string, number>> = {};
for (const [name, over] of Object.entries(VARIANTS)) {
  const cfg = { ...BASE, ...over };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-align-'));
  const t = performance.now();
  try {
    const spec = altMoeModel(cfg);
    const data = Object.fromEntries(spec.tasks.map((task) => [task.name, rows]));
    await train(
      buildModel,
      { dir, model: { ...cfg }, optimizer: { kind: 'adamw', lr: 2e-3, weightDecay: 0.01, clipNorm: 1, schedule: { warmupSteps: 100, totalSteps: STEPS, minLrRatio: 0.05 } }, steps: STEPS, batchSize: 256, seed: 1, checkpointEvery: STEPS, initialValues: { [ma]: sa.mean, [ia]: sa.invstd, [mb]: sb.mean, [ib]: sb.invstd } },
      { train: data },
      (e) => {
        if (e.type === 'warning') console.error(e.message);
      },
    );
    const values = readCheckpoint(path.join(dir, CHECKPOINT_FILE)).params;
    const r = await evaluateConnector(spec, values, evalSet);
    variants[name] = { ...row(r), train_seconds: Math.round((performance.now() - t) / 100) / 10 };
    console.error(`${name}: ${JSON.stringify(variants[name])}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const result = {
  benchmark: 'align',
  date: new Date().toISOString(),
  task: { ...WORLD, trainItems: TRAIN_ITEMS, valItems: VAL_ITEMS, trainPairs: n, chance_i2t_r1: (100 * WORLD.captionsPerItem) / (VAL_ITEMS * WORLD.captionsPerItem), chance_t2i_r1: 100 / VAL_ITEMS },
  training: { steps: STEPS, batchSize: 256, directions: [directionName('image', 'text'), directionName('text', 'image')], base: BASE },
  units: 'percent',
  variants,
  baselines: Object.fromEntries(Object.entries(baselines).map(([k, b]) => [k, { ...row(b.result), chosen: b.hyper }])),
  seconds: Math.round((performance.now() - started) / 1000),
};
fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
fs.writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
