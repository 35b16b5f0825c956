// Training graphs for WebGPU hold only operators that have a WebGPU kernel in our ONNX Runtime
// (onnx/webgpu-ops.ts), so no node silently falls back to the CPU; the dense MoE dispatch they use
// computes exactly what the sparse one does. No GPU is needed: the graphs are checked as built,
// and a run asked for on WebGPU falls back to the CPU here with the same graphs.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { altMoeModel } from '../../src-main/core/model/altmoe.ts';
import { moeParams, moeStack, type Dispatch } from '../../src-main/core/model/moe.ts';
import { PRESETS } from '../../src-main/core/model/presets.ts';
import { gradients } from '../../src-main/core/onnx/autodiff.ts';
import { Graph, type Tensor } from '../../src-main/core/onnx/graph.ts';
import * as op from '../../src-main/core/onnx/ops.ts';
import { providerUsable } from '../../src-main/core/onnx/probe.ts';
import { createSession, tensor } from '../../src-main/core/onnx/runtime.ts';
import { opCounts, opsWithoutWebGpuKernel } from '../../src-main/core/onnx/webgpu-ops.ts';
import { buildModel } from '../../src-main/core/model/build.ts';
import { buildEval, buildTrainStep } from '../../src-main/core/train/artifacts.ts';
import { train } from '../../src-main/core/train/trainer.ts';
import { type TrainEvent } from '../../src-main/core/train/job.ts';
import { tempDir } from '../helpers.ts';
import { seeded } from './gradcheck.ts';
import { moeJob, SMALL_MOE, synthetic } from '../train/fixtures.ts';

const modalities = { image: 1280, text: 100 };

function graphsOf(name: 'laptop' | 'paper', dispatch: Dispatch): Uint8Array[] {
  const spec = altMoeModel({ kind: 'altmoe', modalities, pairs: [['image', 'text']], ...PRESETS[name].model }, { dispatch });
  return spec.tasks.flatMap((task) => [buildTrainStep(spec, task, { optimizer: PRESETS[name].optimizer }).model, buildEval(spec, task).model]);
}

describe('training graphs for WebGPU', () => {
  it.each(['laptop', 'paper'] as const)('the %s preset trains with operators WebGPU has, and only those', (name) => {
    for (const model of graphsOf(name, 'dense')) expect(opsWithoutWebGpuKernel(model)).toEqual([]);
    // The CPU's sparse dispatch does use NonZero, so the check can see a missing kernel.
    const sparse = graphsOf(name, 'sparse').map(opsWithoutWebGpuKernel);
    expect(sparse[0]).toEqual([{ op: 'NonZero', count: 2 * PRESETS[name].model.layers * PRESETS[name].model.experts }]);
  });

  it('the benchmark model (regression MoE) too', () => {
    const spec = buildModel({ ...SMALL_MOE }, { dispatch: 'dense' });
    const model = buildTrainStep(spec, spec.tasks[0]!, { optimizer: { kind: 'adamw', lr: 1e-3, weightDecay: 0.01, clipNorm: 1, schedule: null } }).model;
    expect(opsWithoutWebGpuKernel(model)).toEqual([]);
    expect(opCounts(model).get('TopK')).toBe(SMALL_MOE.layers);
  });

  it('dense dispatch gives the sparse outputs, balance loss and gradients (float32, atol 2e-6 + rtol 1e-5)', async () => {
    const cfg = { dim: 6, hidden: 10, experts: 4, topK: 2, layers: 2 };
    const specs = moeParams('m', cfg);
    const rand = seeded(11);
    // Zero layer-norm biases: a random one shifts every row's router logits alike, and some experts then get no rows.
    const values = new Map(specs.map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => (p.name.endsWith('ln.bias') ? 0 : rand()))]));
    const rows = 48;
    const x = Float32Array.from({ length: rows * cfg.dim }, () => rand());
    const results: Record<string, Float32Array>[] = [];
    for (const dispatch of ['sparse', 'dense'] as const) {
      const g = new Graph(dispatch, 'float32');
      const xin = g.input('x', 'float32', [rows, cfg.dim]);
      const params: Record<string, Tensor> = {};
      for (const p of specs) params[p.name] = g.param(p.name, p.shape);
      const r = moeStack(xin, params, 'm', cfg, dispatch);
      // A loss that weighs every output differently, so every gradient entry matters.
      const w = g.constant('float32', [rows, cfg.dim], Array.from({ length: rows * cfg.dim }, (_, i) => Math.sin(i + 1)));
      const loss = op.add(op.reduceSum(op.mul(r.y, w), [0, 1]), op.mul(r.balance, 0.3));
      g.output(r.y, 'y');
      g.output(loss, 'loss');
      const grads = gradients(loss, [xin, ...Object.values(params)]);
      g.output(grads[0]!, 'grad_x');
      specs.forEach((p, i) => g.output(grads[i + 1]!, `grad_${p.name}`));
      const session = await createSession(g.toModel({ paramsAs: 'inputs' }));
      const feeds = { x: tensor('float32', [rows, cfg.dim], x), ...Object.fromEntries(specs.map((p) => [p.name, tensor('float32', p.shape, values.get(p.name)!)])) };
      const out = await session.run(feeds);
      results.push(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array])));
      await session.release();
    }
    const [sparse, dense] = results as [Record<string, Float32Array>, Record<string, Float32Array>];
    expect(Object.keys(dense).sort()).toEqual(Object.keys(sparse).sort());
    let routedGradients = 0;
    for (const [name, a] of Object.entries(sparse)) {
      const b = dense[name]!;
      expect(b.length, name).toBe(a.length);
      for (let i = 0; i < a.length; i++) expect(Math.abs(b[i]! - a[i]!), `${name}[${i}]`).toBeLessThanOrEqual(2e-6 + 1e-5 * Math.abs(a[i]!));
      if (name.includes('.e') && a.some((v) => v !== 0)) routedGradients++;
    }
    // Every expert received rows, so the comparison covers every expert's weights.
    expect(routedGradients).toBe(cfg.layers * cfg.experts * 4);
  });

  it('a run asked for on WebGPU trains with those graphs and single steps where WebGPU works, else announces the CPU and uses its graphs', async () => {
    const dir = tempDir();
    const events: TrainEvent[] = [];
    const r = await train(buildModel, { ...moeJob(dir, 12), provider: 'webgpu' }, { train: { main: synthetic(64, 8, 4, 0.1, 1) } }, (e) => events.push(e));
    expect(r.step).toBe(12);
    expect(Number.isFinite(r.loss)).toBe(true);
    const started = events.find((e) => e.type === 'started') as { provider: string };
    const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    const missing = opsWithoutWebGpuKernel(fs.readFileSync(path.join(dir, 'train_step.main.onnx')));
    if ((await providerUsable('webgpu')).usable) {
      expect(started.provider).toBe('webgpu');
      expect(missing).toEqual([]);
      expect(fs.existsSync(path.join(dir, 'train_chain.onnx'))).toBe(false);
    } else {
      // No adapter (as on CI): said once, and the CPU's sparse graphs and multi-step runs are used.
      expect(started.provider).toBe('cpu');
      expect(warnings.filter((m) => /"webgpu" is not available.*FALLING BACK TO THE CPU/.test(m))).toHaveLength(1);
      expect(missing.map((m) => m.op)).toEqual(['NonZero']);
      expect(fs.existsSync(path.join(dir, 'train_chain.onnx'))).toBe(true);
    }
  });
});
