import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src-main/core/model/build.ts';
import { train } from '../../src-main/core/train/trainer.ts';
import { CHECKPOINT_FILE, initParams, readCheckpoint } from '../../src-main/core/train/checkpoint.ts';
import { type TrainEvent, type TrainJob } from '../../src-main/core/train/job.ts';
import { tempDir } from '../helpers.ts';
import { SMALL_MLP, SMALL_MOE, synthetic } from './fixtures.ts';

const NOISE = 0.1;

function job(dir: string, over: Partial<TrainJob> = {}): TrainJob {
  return {
    dir,
    model: { ...SMALL_MLP },
    optimizer: { kind: 'adamw', lr: 3e-3, weightDecay: 0, clipNorm: 1, schedule: { warmupSteps: 20, totalSteps: 600, minLrRatio: 0.05 } },
    steps: 600,
    batchSize: 64,
    seed: 42,
    threads: 1,
    checkpointEvery: 200,
    evalEvery: 200,
    ...over,
  };
}

describe('training engine', () => {
  it('trains an MLP to the known noise floor (val MSE ~ noise variance)', async () => {
    const dir = tempDir();
    const events: TrainEvent[] = [];
    const data = { train: { main: synthetic(4096, 8, 4, NOISE, 1) }, val: { main: synthetic(1024, 8, 4, NOISE, 2) } };
    const steps = 3000;
    const optimizer = { kind: 'adamw' as const, lr: 3e-3, weightDecay: 0, clipNorm: 1, schedule: { warmupSteps: 50, totalSteps: steps, minLrRatio: 0.05 } };
    await train(buildModel, job(dir, { steps, optimizer, checkpointEvery: 1000, evalEvery: 1000 }), data, (e) => events.push(e));
    const evals = events.filter((e): e is Extract<TrainEvent, { type: 'eval' }> => e.type === 'eval');
    expect(evals.map((e) => e.step)).toEqual([1000, 2000, 3000]);
    // Validation loss keeps falling as training goes on.
    expect(evals[2]!.loss).toBeLessThan(evals[0]!.loss);
    const final = evals.at(-1)!.loss;
    // The best achievable is NOISE^2 = 0.01; the initial loss is around 0.5.
    expect(final).toBeGreaterThan(NOISE * NOISE * 0.8);
    expect(final).toBeLessThan(NOISE * NOISE * 1.5);
    const progress = events.filter((e): e is Extract<TrainEvent, { type: 'progress' }> => e.type === 'progress');
    expect(progress.at(-1)).toMatchObject({ step: steps, steps });
    expect(progress.at(-1)!.lr).toBeCloseTo(3e-3 * 0.05, 8);
    expect(events[0]).toMatchObject({ type: 'started', provider: 'cpu', step: 0, resumed: false });
    expect(events.at(-1)).toMatchObject({ type: 'done', step: steps, reason: 'finished' });
    for (const f of ['train_step.main.onnx', 'eval.main.onnx', CHECKPOINT_FILE]) expect(fs.existsSync(path.join(dir, f))).toBe(true);
  });

  it('save -> load -> continue gives the same parameters as training straight through', async () => {
    const data = { train: { main: synthetic(512, 8, 4, NOISE, 3) } };
    const straight = tempDir();
    await train(buildModel, job(straight, { model: { ...SMALL_MOE }, steps: 40, checkpointEvery: 40, evalEvery: 0 }), data, () => {});
    const split = tempDir();
    await train(buildModel, job(split, { model: { ...SMALL_MOE }, steps: 25, checkpointEvery: 25, evalEvery: 0 }), data, () => {});
    expect(readCheckpoint(path.join(split, CHECKPOINT_FILE)).step).toBe(25);
    const events: TrainEvent[] = [];
    await train(buildModel, job(split, { model: { ...SMALL_MOE }, steps: 40, checkpointEvery: 40, evalEvery: 0, resume: true }), data, (e) => events.push(e));
    expect(events[0]).toMatchObject({ type: 'started', step: 25, resumed: true });
    const a = readCheckpoint(path.join(straight, CHECKPOINT_FILE));
    const b = readCheckpoint(path.join(split, CHECKPOINT_FILE));
    expect(b.step).toBe(40);
    expect(b.cursor).toEqual(a.cursor);
    expect([...b.params.keys()]).toEqual([...a.params.keys()]);
    for (const [name, va] of a.params) expect(Array.from(b.params.get(name)!), name).toEqual(Array.from(va));
    for (const [name, va] of a.states) expect(Array.from(b.states.get(name)!), name).toEqual(Array.from(va));
  });

  it('gradient accumulation over k micro-batches equals one batch k times larger (no dropout)', async () => {
    const data = { train: { main: synthetic(256, 8, 4, NOISE, 4) } };
    const big = tempDir();
    const small = tempDir();
    const opt = { kind: 'sgd' as const, lr: 0.05, momentum: 0.9, weightDecay: 0, schedule: null };
    await train(buildModel, job(big, { steps: 3, batchSize: 64, optimizer: opt, checkpointEvery: 3, evalEvery: 0 }), data, () => {});
    await train(buildModel, job(small, { steps: 3, batchSize: 16, accumulation: 4, optimizer: opt, checkpointEvery: 3, evalEvery: 0 }), data, () => {});
    const a = readCheckpoint(path.join(big, CHECKPOINT_FILE));
    const b = readCheckpoint(path.join(small, CHECKPOINT_FILE));
    expect(fs.existsSync(path.join(small, 'accumulate.main.onnx'))).toBe(true);
    // Same samples in the same order: 4 x 16 consecutive rows of the shuffled stream = 64 rows.
    for (const [name, va] of a.params) {
      const vb = b.params.get(name)!;
      va.forEach((x, i) => expect(Math.abs(Number(x) - Number(vb[i]!)), `${name}[${i}]`).toBeLessThan(1e-5 + 1e-4 * Math.abs(Number(x))));
    }
  });

  it('is cancellable, and saves a checkpoint when cancelled', async () => {
    const dir = tempDir();
    let steps = 0;
    const events: TrainEvent[] = [];
    await train(buildModel, job(dir, { steps: 1000, checkpointEvery: 500, evalEvery: 0 }), { train: { main: synthetic(256, 8, 4, NOISE, 6) } }, (e) => {
      events.push(e);
      if (e.type === 'progress') steps = e.step;
    }, () => steps >= 5);
    const done = events.at(-1) as Extract<TrainEvent, { type: 'done' }>;
    expect(done.reason).toBe('cancelled');
    expect(done.step).toBeLessThan(1000);
    expect(readCheckpoint(path.join(dir, CHECKPOINT_FILE)).step).toBe(done.step);
  });

  it('refuses to resume a checkpoint of another configuration', async () => {
    const dir = tempDir();
    const data = { train: { main: synthetic(128, 8, 4, NOISE, 7) } };
    await train(buildModel, job(dir, { steps: 2, checkpointEvery: 2, evalEvery: 0 }), data, () => {});
    await expect(train(buildModel, job(dir, { steps: 4, checkpointEvery: 2, evalEvery: 0, batchSize: 32, resume: true }), data, () => {})).rejects.toThrow(/different configuration/);
  });
});

describe('per-parameter update counts (Adam bias correction under alternation)', () => {
  it('counts the steps that ran one of a group\'s tasks', async () => {
    const { updatesUpTo } = await import('../../src-main/core/train/step-values.ts');
    // Two tasks alternate: steps 1, 3, 5 run task 0; 2, 4 run task 1.
    expect([1, 2, 3, 4, 5].map((t) => updatesUpTo(t, [0], 2))).toEqual([1, 1, 2, 2, 3]);
    expect([1, 2, 3, 4, 5].map((t) => updatesUpTo(t, [1], 2))).toEqual([0, 1, 1, 2, 2]);
    expect([1, 2, 3, 4, 5].map((t) => updatesUpTo(t, [0, 1], 2))).toEqual([1, 2, 3, 4, 5]);
    expect(updatesUpTo(7, [0, 2], 3)).toBe(3 + 2);
  });

  it('a direction-only parameter gets a full first Adam step on its first update, like PyTorch', async () => {
    // With the right count (1), the first update of any parameter moves each element by lr
    // (Adam's first step is lr * sign(g) without weight decay). With the global step (2) it would not.
    const { altMoeModel } = await import('../../src-main/core/model/altmoe.ts');
    const { PRESETS } = await import('../../src-main/core/model/presets.ts');
    const { syntheticPairs, pairRows } = await import('../model/synthetic.ts');
    const cfg = { kind: 'altmoe' as const, modalities: { image: 6, text: 5 }, pairs: [['image', 'text']] as [string, string][], ...PRESETS.laptop.model, dim: 8, hidden: 8, layers: 1, dropout: 0 };
    const d = syntheticPairs({ items: 32, captionsPerItem: 1, latent: 3, dimA: 6, dimB: 5, noise: 0.1, captionSpread: 0.1, seed: 1 });
    const rows = { image: { dtype: 'float32' as const, shape: [32, 6], data: pairRows(d, 6) }, text: { dtype: 'float32' as const, shape: [32, 5], data: d.b } };
    const dir = tempDir();
    const lr = 0.01;
    await train(buildModel, { dir, model: { ...cfg }, optimizer: { kind: 'adamw', lr, weightDecay: 0, clipNorm: 0, schedule: null }, steps: 2, batchSize: 16, seed: 2, threads: 1, checkpointEvery: 2 }, { train: { 'image->text': rows, 'text->image': rows } }, () => {});
    const after = readCheckpoint(path.join(dir, CHECKPOINT_FILE)).params;
    const before = initParams(altMoeModel(cfg), 2);
    // dir.text2image.* is first updated on step 2: its count is 1, so |delta| = lr (up to eps).
    const name = 'dir.text2image.pred.b';
    const moved = Array.from(after.get(name)!, (v, i) => Math.abs(v - before.get(name)![i]!));
    for (const m of moved) expect(m).toBeCloseTo(lr, 5);
  });
});
