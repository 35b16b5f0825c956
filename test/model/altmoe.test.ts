import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { altMoeModel, directionName, normParams, type AltMoeConfig } from '../../src-main/core/model/altmoe.ts';
import { PRESETS } from '../../src-main/core/model/presets.ts';
import { columnStats, evaluateBaselines, evaluateConnector } from '../../src-main/core/model/evaluate.ts';
import { pairRows, syntheticPairs } from './synthetic.ts';
import { buildTrainStep } from '../../src-main/core/train/artifacts.ts';
import { createSession, tensor } from '../../src-main/core/onnx/runtime.ts';
import { train } from '../../src-main/core/train/trainer.ts';
import { CHECKPOINT_FILE, initParams, readCheckpoint } from '../../src-main/core/train/checkpoint.ts';
import { type TrainJob } from '../../src-main/core/train/job.ts';
import { gradCheck } from '../onnx/gradcheck.ts';
import { tempDir } from '../helpers.ts';
import { buildModel } from '../../src-main/core/model/build.ts';

const SMALL: AltMoeConfig = {
  kind: 'altmoe',
  modalities: { image: 12, text: 10 },
  pairs: [['image', 'text']],
  ...PRESETS.laptop.model,
  dim: 16,
  hidden: 24,
  layers: 1,
  temperature: 0.1,
  learnTemperature: true,
};

describe('Alt-MoE connector model', () => {
  it('has one task per direction with exactly that direction\'s parameters plus the shared ones', () => {
    const spec = altMoeModel(SMALL);
    expect(spec.tasks.map((t) => t.name)).toEqual(['image->text', 'text->image']);
    const i2t = spec.tasks[0]!.trainable!;
    expect(i2t).toContain('mod.image.in.w');
    expect(i2t).toContain('dir.image2text.cl.w');
    expect(i2t).toContain('shared.l0.e3.w1');
    expect(i2t).toContain('task.pred');
    expect(i2t).toContain('logit_scale');
    expect(i2t).not.toContain('mod.text.in.w');
    expect(i2t).not.toContain('dir.text2image.cl.w');
    expect(i2t.some((n) => n.startsWith('norm.'))).toBe(false);
  });

  it('builds train steps with exact output shapes', async () => {
    const spec = altMoeModel(SMALL);
    const { model, io } = buildTrainStep(spec, spec.tasks[0]!, { optimizer: { kind: 'adamw', lr: 1e-3, weightDecay: 0.01, clipNorm: 1, schedule: null } });
    const s = await createSession(model);
    // Pruned: only what this direction reads (no text->image heads, no text input projection).
    for (const name of [...io.data, ...io.masks, ...io.states, 'step']) expect(s.inputNames).toContain(name);
    for (const name of s.inputNames) expect([...io.data, ...io.masks, ...io.params, ...io.states, 'step']).toContain(name);
    expect(s.inputNames).not.toContain('dir.text2image.cl.w');
    expect(s.inputNames).not.toContain('mod.text.in.w');
    const values = initParams(spec, 1);
    const feeds: Record<string, ReturnType<typeof tensor>> = {};
    for (const p of spec.params) if (s.inputNames.includes(p.name)) feeds[p.name] = tensor('float32', p.shape, values.get(p.name) as Float32Array);
    for (const st of io.states) {
      const p = spec.params.find((q) => st.endsWith(`.${q.name}`))!;
      feeds[st] = tensor('float32', p.shape, new Float32Array(p.shape.reduce((a, b) => a * b, 1)));
    }
    feeds.image = tensor('float32', [6, 12], Float32Array.from({ length: 72 }, (_, i) => Math.sin(i)));
    feeds.text = tensor('float32', [6, 10], Float32Array.from({ length: 60 }, (_, i) => Math.cos(i)));
    feeds['keep.image'] = tensor('float32', [6, 12], new Float32Array(72).fill(1));
    feeds.step = tensor('float32', [], Float32Array.of(1));
    const out = await s.run(feeds);
    expect(out.loss!.dims).toEqual([]);
    expect(out['metric.expert_load']!.dims).toEqual([1, 4]);
    expect(out['new.dir.image2text.cl.w']!.dims).toEqual([16, 10]);
    expect(out['new.mod.image.in.w']!.dims).toEqual([12, 16]);
    expect(out['new.shared.l0.e0.w1']!.dims).toEqual([16, 24]);
    expect(Object.keys(out).filter((k) => k.startsWith('new.dir.text2image'))).toEqual([]);
  });

  for (const connector of ['moe', 'mlp'] as const) {
    it(`the full direction graph (${connector}) has correct gradients (float32 directional checks)`, async () => {
      const cfg = { ...SMALL, connector, dropout: 0 };
      const spec = altMoeModel(cfg);
      const task = spec.tasks[0]!;
      for (const seed of [1, 2]) {
        await gradCheck(
          (g) => {
            const inputs = { image: g.param('image', [6, 12]), text: g.param('text', [6, 10]) };
            const params: Record<string, ReturnType<typeof g.param>> = {};
            for (const p of spec.params) params[p.name] = g.param(p.name, p.shape);
            const r = task.forward(g, inputs, params, false);
            const trainable = task.trainable!.map((n) => params[n]!);
            const fixed = [inputs.text, ...spec.params.filter((p) => !task.trainable!.includes(p.name)).map((p) => params[p.name]!)];
            return { loss: r.loss, params: [inputs.image, ...trainable], fixed };
          },
          { dtype: 'float32', seed, eps: 1e-3, rtol: 3e-2, atol: 3e-3, transform: (name, v) => (name.includes('invstd') ? 1 : name.includes('ln.scale') ? 1 + 0.1 * v : v) },
        );
      }
    });
  }

  it('the alternating schedule updates only the intended parameter subsets', async () => {
    const data = syntheticPairs({ items: 64, captionsPerItem: 2, latent: 4, dimA: 12, dimB: 10, noise: 0.05, captionSpread: 0.1, seed: 1 });
    const rows = { image: { dtype: 'float32' as const, shape: [128, 12], data: pairRows(data, 12) }, text: { dtype: 'float32' as const, shape: [128, 10], data: data.b } };
    const job = (dir: string, steps: number): TrainJob => ({ dir, model: { ...SMALL }, optimizer: { kind: 'adamw', lr: 1e-3, weightDecay: 0.01, clipNorm: 1, schedule: null }, steps, batchSize: 32, seed: 3, threads: 1, checkpointEvery: 1000 });
    const before = initParams(altMoeModel(SMALL), 3);
    const spec = altMoeModel(SMALL);
    for (const [steps, task] of [[1, 'image->text'], [2, 'text->image']] as const) {
      const dir = tempDir();
      await train(buildModel, job(dir, steps), { train: { 'image->text': rows, 'text->image': rows } }, () => {});
      const after = readCheckpoint(path.join(dir, CHECKPOINT_FILE)).params;
      const changed = spec.params.filter((p) => Array.from(after.get(p.name)!).some((v, i) => v !== before.get(p.name)![i])).map((p) => p.name);
      // Step 1 trains image->text only; step 2 adds text->image.
      const expected = new Set(spec.tasks.filter((t) => steps >= 1 && t.name === 'image->text' || steps >= 2 && t.name === 'text->image').flatMap((t) => t.trainable!));
      expect(new Set(changed), task).toEqual(expected);
    }
  });

  it('learns a non-linear cross-modal relation far above chance and above a linear map', async () => {
    const dims = { a: 24, b: 20 };
    const world = { latent: 6, dimA: dims.a, dimB: dims.b, noise: 0.05, captionSpread: 0.15, captionsPerItem: 5 };
    const trainSet = syntheticPairs({ ...world, items: 1500, seed: 1 });
    const val = syntheticPairs({ ...world, items: 200, seed: 2 });
    const trainA = pairRows(trainSet, dims.a);
    const cfg: AltMoeConfig = { ...SMALL, modalities: { image: dims.a, text: dims.b }, dim: 64, hidden: 128, layers: 2, dropout: 0.05, temperature: 0.05 };
    const sa = columnStats(trainA, dims.a);
    const sb = columnStats(trainSet.b, dims.b);
    const [ma, ia] = normParams('image');
    const [mb, ib] = normParams('text');
    const dir = tempDir();
    const n = trainSet.owner.length;
    const rows = { image: { dtype: 'float32' as const, shape: [n, dims.a], data: trainA }, text: { dtype: 'float32' as const, shape: [n, dims.b], data: trainSet.b } };
    await train(
      buildModel,
      { dir, model: { ...cfg }, optimizer: { kind: 'adamw', lr: 2e-3, weightDecay: 0.01, clipNorm: 1, schedule: { warmupSteps: 50, totalSteps: 1200, minLrRatio: 0.05 } }, steps: 1200, batchSize: 128, seed: 1, threads: 2, checkpointEvery: 1200, initialValues: { [ma]: sa.mean, [ia]: sa.invstd, [mb]: sb.mean, [ib]: sb.invstd } },
      { train: { [directionName('image', 'text')]: rows, [directionName('text', 'image')]: rows } },
      () => {},
    );
    const values = readCheckpoint(path.join(dir, CHECKPOINT_FILE)).params;
    const evalSet = { a: 'image', b: 'text', aVecs: val.a, bVecs: val.b, owner: val.owner };
    const ours = await evaluateConnector(altMoeModel(cfg), values, evalSet);
    const tune = syntheticPairs({ ...world, items: 200, seed: 4 });
    const base = await evaluateBaselines({ a: trainA, b: trainSet.b }, { a: 'image', b: 'text', aVecs: tune.a, bVecs: tune.b, owner: tune.owner }, evalSet, dims);
    // Chance: R@1 = 5/1000 for image->text, 1/200 for text->image.
    expect(ours.forward.r1).toBeGreaterThan(10 * (5 / 1000));
    expect(ours.backward.r1).toBeGreaterThan(10 * (1 / 200));
    expect(ours.rsum).toBeGreaterThan(base.ridge.result.rsum);
  }, 120_000);
});

describe('loss switches', () => {
  it('with one loss only, the other branch is neither trained nor required', () => {
    for (const loss of ['pred', 'cl'] as const) {
      const spec = altMoeModel({ ...SMALL, loss });
      const other = loss === 'pred' ? 'cl' : 'pred';
      for (const task of spec.tasks) {
        expect(task.trainable!.some((n) => n.endsWith(`.${other}.w`) || n === `task.${other}`)).toBe(false);
        // Building the train step differentiates exactly the trainable set: it must not throw.
        expect(() => buildTrainStep(spec, task, { optimizer: { kind: 'sgd', lr: 0.1, weightDecay: 0, schedule: null } })).not.toThrow();
      }
    }
  });
});
