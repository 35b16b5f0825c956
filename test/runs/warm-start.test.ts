import { describe, expect, it } from 'vitest';
import { altMoeModel, normParams, type AltMoeConfig } from '../../src-main/core/model/altmoe.ts';
import { columnStats, evaluateBaselines, evaluateConnector } from '../../src-main/core/model/evaluate.ts';
import { PRESETS } from '../../src-main/core/model/presets.ts';
import type { PairData } from '../../src-main/core/runs/pair-data.ts';
import { ridgeStart } from '../../src-main/core/runs/warm-start.ts';
import { initParams } from '../../src-main/core/train/checkpoint.ts';
import { syntheticPairs } from '../model/synthetic.ts';

describe('a connector started from the tuned ridge map', () => {
  it('scores exactly as ridge before its first step, in both directions', async () => {
    const dims = { a: 24, b: 20 };
    const world = { latent: 6, dimA: dims.a, dimB: dims.b, noise: 0.05, captionSpread: 0.15, captionsPerItem: 1 };
    const split = (items: number, seed: number) => {
      const s = syntheticPairs({ ...world, items, seed });
      return { aVecs: s.a, bVecs: s.b, owner: s.owner };
    };
    const splits = { train: split(300, 1), val: split(100, 2), test: split(150, 3) };
    const data: PairData = { a: 'image', b: 'text', aDim: dims.a, bDim: dims.b, encoders: { a: { name: 'x', hash: 'x' }, b: { name: 'y', hash: 'y' } }, splits, skipped: 0, valFromTrain: false };
    const stats: Record<string, Float32Array> = {};
    for (const [m, x, d] of [['image', splits.train.aVecs, dims.a], ['text', splits.train.bVecs, dims.b]] as const) {
      const s = columnStats(x, d);
      const [mean, invstd] = normParams(m);
      stats[mean] = s.mean;
      stats[invstd] = s.invstd;
    }
    const cfg: AltMoeConfig = { kind: 'altmoe', modalities: { image: dims.a, text: dims.b }, pairs: [['image', 'text']], ...PRESETS.laptop.model, dim: 16, hidden: 24, layers: 1, skip: 'ridge' };
    const spec = altMoeModel(cfg);
    const values = initParams(spec, 1, { ...stats, ...(await ridgeStart([data], stats, cfg.dim)) });
    const test = { a: 'image', b: 'text', ...splits.test };
    const ours = await evaluateConnector(spec, values, test);
    const ridge = (await evaluateBaselines({ a: splits.train.aVecs, b: splits.train.bVecs }, { a: 'image', b: 'text', ...splits.val }, test, dims)).ridge.result;
    expect(ours.forward.r1).toBeCloseTo(ridge.forward.r1, 6);
    expect(ours.backward.r1).toBeCloseTo(ridge.backward.r1, 6);
    expect(ours.rsum).toBeCloseTo(ridge.rsum, 6);
    // Started at random instead, the same model is nowhere near ridge.
    const random = await evaluateConnector(spec, initParams(spec, 1, stats), test);
    expect(Math.abs(random.rsum - ridge.rsum)).toBeGreaterThan(5);
  });
});
