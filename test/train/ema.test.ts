import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { altMoeModel } from '../../src-main/core/model/altmoe.ts';
import { buildModel } from '../../src-main/core/model/build.ts';
import { PRESETS } from '../../src-main/core/model/presets.ts';
import type { OptimizerConfig } from '../../src-main/core/onnx/optim.ts';
import { CHECKPOINT_FILE, initParams, readCheckpoint, servedParams } from '../../src-main/core/train/checkpoint.ts';
import type { TrainEvent } from '../../src-main/core/train/job.ts';
import { train } from '../../src-main/core/train/trainer.ts';
import { tempDir } from '../helpers.ts';
import { pairRows, syntheticPairs } from '../model/synthetic.ts';

// Two alternating directions: shared parameters move every step, each direction's own every other.
const CFG = { kind: 'altmoe' as const, modalities: { image: 6, text: 5 }, pairs: [['image', 'text']] as [string, string][], ...PRESETS.laptop.model, dim: 8, hidden: 16, layers: 2, experts: 4, topK: 2, dropout: 0.1 };
const OPT: OptimizerConfig = { kind: 'adamw', lr: 3e-3, weightDecay: 0.01, clipNorm: 0.5, schedule: { warmupSteps: 5, totalSteps: 24, minLrRatio: 0.1 } };
const CAP = 0.5;

function data(): Parameters<typeof train>[2] {
  const d = syntheticPairs({ items: 64, captionsPerItem: 1, latent: 3, dimA: 6, dimB: 5, noise: 0.1, captionSpread: 0.1, seed: 3 });
  const rows = { image: { dtype: 'float32' as const, shape: [64, 6], data: pairRows(d, 6) }, text: { dtype: 'float32' as const, shape: [64, 5], data: d.b } };
  return { train: { 'image->text': rows, 'text->image': rows } };
}

const trainTo = (dir: string, steps: number, optimizer: OptimizerConfig, checkpointEvery = steps, onEvent: (e: TrainEvent) => void = () => {}) =>
  train(buildModel, { dir, model: { ...CFG }, optimizer, steps, batchSize: 16, seed: 5, threads: 1, checkpointEvery }, data(), onEvent);

describe('Polyak averaging of the parameters (OptimizerConfig.ema)', () => {
  it('follows e <- e + max(9 / (10 + t), 1 - ema) (p - e) from the initial parameters at each update t, and leaves training as it was', async () => {
    const plain = tempDir();
    await trainTo(plain, 12, OPT);
    // A checkpoint after every step, read as it is written.
    const seen: ReturnType<typeof readCheckpoint>[] = [];
    const dir = tempDir();
    await trainTo(dir, 12, { ...OPT, ema: CAP }, 1, (e) => {
      if (e.type === 'checkpoint') seen.push(readCheckpoint(path.join(dir, CHECKPOINT_FILE)));
    });
    expect(seen.map((c) => c.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    let prevParams = initParams(altMoeModel({ ...CFG }), 5);
    let prevEma = new Map(prevParams);
    const updates = new Map<string, number>();
    for (const ck of seen) {
      const ema = new Map([...ck.states].filter(([n]) => n.startsWith('ema.')).map(([n, v]) => [n.slice(4), v]));
      expect(ema.size).toBeGreaterThan(0);
      for (const [name, e] of ema) {
        const [p, p0, e0] = [ck.params.get(name)!, prevParams.get(name)!, prevEma.get(name)!];
        if (p.every((x, i) => x === p0[i])) {
          expect(Array.from(e), `${name} at step ${ck.step}`).toEqual(Array.from(e0));
          continue;
        }
        const t = (updates.get(name) ?? 0) + 1;
        updates.set(name, t);
        const rate = Math.max(9 / (10 + t), 1 - CAP);
        for (let i = 0; i < e.length; i++) expect(e[i]!, `${name}[${i}] at step ${ck.step}`).toBeCloseTo(e0[i]! + rate * (p[i]! - e0[i]!), 6);
      }
      prevParams = ck.params;
      prevEma = ema;
    }
    // Shared parameters reached the cap (t = 12 > 8); a direction's own stayed below it (t = 6).
    expect(Math.max(...updates.values())).toBe(12);
    expect(Math.min(...updates.values())).toBe(6);
    const a = readCheckpoint(path.join(plain, CHECKPOINT_FILE));
    for (const [name, v] of a.params) expect(Array.from(prevParams.get(name)!), name).toEqual(Array.from(v));
  });

  it('is what a checkpoint evaluates and serves; parameters without an average serve as they are', async () => {
    const dir = tempDir();
    await trainTo(dir, 4, { ...OPT, ema: CAP });
    const ck = readCheckpoint(path.join(dir, CHECKPOINT_FILE));
    const served = servedParams(ck);
    expect([...served.keys()].sort()).toEqual([...ck.params.keys()].sort());
    let averaged = 0;
    for (const [name, v] of served) {
      const e = ck.states.get(`ema.${name}`);
      expect(v).toBe(e ?? ck.params.get(name));
      if (e) averaged++;
    }
    expect(averaged).toBeGreaterThan(0);
    expect(averaged).toBeLessThan(served.size);
  });
});
