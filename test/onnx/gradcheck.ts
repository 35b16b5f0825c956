import { expect } from 'vitest';
import { gradients } from '../../src-main/core/onnx/autodiff.ts';
import { Graph, type FloatType, type Tensor } from '../../src-main/core/onnx/graph.ts';
import { createSession, tensor, type Feeds, type Value } from '../../src-main/core/onnx/runtime.ts';
import { mulberry32 } from '../../src-main/core/util/rng.ts';

/** Deterministic pseudo-random numbers in [-1, 1). */
export function seeded(seed: number): () => number {
  const rand = mulberry32(seed);
  return () => rand() * 2 - 1;
}

export interface Built {
  loss: Tensor;
  params: Tensor[];
  /** Non-parameter inputs and their values. */
  feeds?: Record<string, Value>;
  /** Parameters fed with random values but not differentiated (e.g. data, frozen statistics). */
  fixed?: Tensor[];
}

/** Random values for every parameter of a graph (fixed seed), optionally shaped by a function. */
function initParams(params: Tensor[], dtype: FloatType, seed: number, transform?: (name: string, v: number) => number): Map<string, Float64Array | Float32Array> {
  const rand = seeded(seed);
  const out = new Map<string, Float64Array | Float32Array>();
  for (const p of params) {
    const n = (p.shape as number[]).reduce((a, b) => a * b, 1);
    const arr = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) arr[i] = transform ? transform(p.name, rand()) : rand();
    out.set(p.name, arr);
  }
  return out;
}

/**
 * Checks the analytic gradients of a scalar loss against central finite differences.
 * float64: every element (up to maxElements per parameter), atol + rtol.
 * float32: a random direction per parameter (the directional derivative), with looser tolerances.
 */
export async function gradCheck(
  build: (g: Graph) => Built,
  opts: { dtype?: FloatType; seed?: number; transform?: (name: string, v: number) => number; atol?: number; rtol?: number; eps?: number; maxElements?: number } = {},
): Promise<{ checked: number; maxError: number }> {
  const dtype = opts.dtype ?? 'float64';
  const g = new Graph('gradcheck', dtype);
  const { loss, params, feeds = {}, fixed = [] } = build(g);
  const grads = gradients(loss, params);
  g.output(loss, 'loss');
  grads.forEach((gr, i) => g.output(gr, `grad_${params[i]!.name}`));
  const session = await createSession(g.toModel({ paramsAs: 'inputs' }));
  const values = initParams(params, dtype, opts.seed ?? 7, opts.transform);
  const fixedValues = initParams(fixed, dtype, (opts.seed ?? 7) + 1000, opts.transform);
  const feed = (vals: Map<string, Float64Array | Float32Array>): Feeds => {
    const f: Feeds = { ...feeds };
    for (const p of fixed) f[p.name] = tensor(dtype, p.shape as number[], fixedValues.get(p.name)!);
    for (const p of params) f[p.name] = tensor(dtype, p.shape as number[], vals.get(p.name)!);
    return f;
  };
  const base = await session.run(feed(values));
  const lossAt = async (vals: Map<string, Float64Array | Float32Array>): Promise<number> => Number((await session.run(feed(vals), ['loss'])).loss!.data[0]);
  let checked = 0;
  let maxError = 0;

  if (dtype === 'float64') {
    const eps = opts.eps ?? 1e-6;
    const atol = opts.atol ?? 1e-7;
    const rtol = opts.rtol ?? 1e-5;
    for (const p of params) {
      const v = values.get(p.name)!;
      const analytic = base[`grad_${p.name}`]!.data as Float64Array;
      expect(Array.from(base[`grad_${p.name}`]!.dims)).toEqual(p.shape);
      const step = Math.max(1, Math.floor(v.length / (opts.maxElements ?? 64)));
      for (let i = 0; i < v.length; i += step) {
        const orig = v[i]!;
        v[i] = orig + eps;
        const up = await lossAt(values);
        v[i] = orig - eps;
        const down = await lossAt(values);
        v[i] = orig;
        const numeric = (up - down) / (2 * eps);
        const err = Math.abs(numeric - analytic[i]!);
        maxError = Math.max(maxError, err);
        if (err > atol + rtol * Math.abs(numeric)) {
          throw new Error(`gradient of ${p.name}[${i}]: analytic ${analytic[i]}, numeric ${numeric} (error ${err})`);
        }
        checked++;
      }
    }
  } else {
    const eps = opts.eps ?? 1e-2;
    const rtol = opts.rtol ?? 2e-2;
    const atol = opts.atol ?? 1e-3;
    const rand = seeded(99);
    const dir = new Map<string, Float32Array>();
    let predicted = 0;
    for (const p of params) {
      const v = values.get(p.name)!;
      const d = Float32Array.from(v, () => rand());
      dir.set(p.name, d);
      const analytic = base[`grad_${p.name}`]!.data as Float32Array;
      expect(Array.from(base[`grad_${p.name}`]!.dims)).toEqual(p.shape);
      for (let i = 0; i < v.length; i++) predicted += analytic[i]! * d[i]!;
    }
    const shifted = (sgn: number): Map<string, Float32Array> =>
      new Map(params.map((p) => [p.name, Float32Array.from(values.get(p.name)!, (x, i) => x + sgn * eps * dir.get(p.name)![i]!)]));
    const numeric = ((await lossAt(shifted(1))) - (await lossAt(shifted(-1)))) / (2 * eps);
    maxError = Math.abs(numeric - predicted);
    if (maxError > atol + rtol * Math.abs(numeric)) throw new Error(`directional derivative: analytic ${predicted}, numeric ${numeric}`);
    checked = 1;
  }
  await session.release();
  return { checked, maxError };
}

/** A fixed random weighting so that sum(w * y) has a gradient that exercises every element. */
export function weightedSum(g: Graph, y: Tensor, seed = 3): Tensor {
  const rand = seeded(seed);
  const shape = y.shape.map((d) => (typeof d === 'number' ? d : 1));
  const n = shape.reduce((a, b) => a * b, 1);
  const w = g.constant(y.dtype, shape, Array.from({ length: n }, () => rand()));
  const { reduceSum, mul } = ops;
  return reduceSum(mul(y, w), y.shape.map((_, i) => i));
}

import * as ops from '../../src-main/core/onnx/ops.ts';
