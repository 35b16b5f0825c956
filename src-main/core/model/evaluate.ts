// Evaluation of a trained connector and of the training-free baselines on the same split.
import { Graph, type ParamValues } from '../onnx/graph.ts';
import * as op from '../onnx/ops.ts';
import { createSession, tensor } from '../onnx/runtime.ts';
import { buildInfer } from '../train/artifacts.ts';
import type { ModelSpec } from '../train/spec.ts';
import { directionTask, normParams, type AltMoeConfig } from './altmoe.ts';
import { fitCca, project } from './cca.ts';
import { crossModalRecall, normalizeRows, topK, type CrossModalResult } from './retrieval.ts';

/** Per-dimension mean and 1/std of row vectors (the standardisation the connector applies). */
export function columnStats(x: Float32Array, d: number): { mean: Float32Array; invstd: Float32Array } {
  const n = x.length / d;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      const v = x[r * d + i]!;
      mean[i] = mean[i]! + v;
      sq[i] = sq[i]! + v * v;
    }
  }
  const m = new Float32Array(d);
  const inv = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    m[i] = mean[i]! / n;
    const variance = Math.max(sq[i]! / n - m[i]! ** 2, 0);
    inv[i] = 1 / Math.sqrt(variance + 1e-8);
  }
  return { mean: m, invstd: inv };
}

export function standardise(x: Float32Array, mean: Float32Array, invstd: Float32Array): Float32Array {
  const d = mean.length;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i]! - mean[i % d]!) * invstd[i % d]!;
  return out;
}

export interface DirectionMapper {
  map(x: Float32Array): Promise<Float32Array>;
  release(): Promise<void>;
}

/** A reusable session that maps source vectors through a trained direction (contrastive head 'mapped' or prediction head 'pred'). */
export async function directionMapper(spec: ModelSpec, values: ParamValues, s: string, t: string, head: 'mapped' | 'pred' = 'mapped'): Promise<DirectionMapper> {
  const c = spec.config as unknown as AltMoeConfig;
  const ds = c.modalities[s]!;
  const dt = c.modalities[t]!;
  const session = await createSession(buildInfer(spec, directionTask(spec, s, t), values, [head]));
  return {
    async map(x) {
      const n = x.length / ds;
      const out = new Float32Array(n * dt);
      for (let start = 0; start < n; start += 1024) {
        const rows = Math.min(1024, n - start);
        const r = await session.run({ [s]: tensor('float32', [rows, ds], x.subarray(start * ds, (start + rows) * ds)) });
        out.set(r[head]!.data as Float32Array, start * dt);
      }
      return out;
    },
    release: () => session.release(),
  };
}

/** Maps source vectors through a trained direction once (builds and releases its session). */
export async function mapDirection(spec: ModelSpec, values: ParamValues, s: string, t: string, x: Float32Array, head: 'mapped' | 'pred' = 'mapped'): Promise<Float32Array> {
  const mapper = await directionMapper(spec, values, s, t, head);
  try {
    return await mapper.map(x);
  } finally {
    await mapper.release();
  }
}

export interface EvalSet {
  /** media modality (a) and caption modality (b) */
  a: string;
  b: string;
  aVecs: Float32Array;
  bVecs: Float32Array;
  owner: Int32Array;
}

/**
 * Recall of a trained connector on an evaluation set, both directions, in the targets' standardised
 * spaces. Default head: the contrastive one, or the prediction head of a prediction-only model.
 */
export async function evaluateConnector(spec: ModelSpec, values: ParamValues, set: EvalSet, head?: 'mapped' | 'pred'): Promise<CrossModalResult> {
  const c = spec.config as unknown as AltMoeConfig;
  head ??= c.loss === 'pred' ? 'pred' : 'mapped';
  const std = (m: string, x: Float32Array): Float32Array => {
    const [mean, invstd] = normParams(m);
    return standardise(x, values.get(mean) as Float32Array, values.get(invstd) as Float32Array);
  };
  return crossModalRecall({
    mediaQueries: await mapDirection(spec, values, set.a, set.b, set.aVecs, head),
    captionGallery: std(set.b, set.bVecs),
    captionDim: c.modalities[set.b]!,
    captionQueries: await mapDirection(spec, values, set.b, set.a, set.bVecs, head),
    mediaGallery: std(set.a, set.aVecs),
    mediaDim: c.modalities[set.a]!,
    owner: set.owner,
  });
}

/** Gram matrices X^T X and X^T Y through ONNX Runtime (millions of rows take seconds, not minutes). */
async function grams(x: Float32Array, dx: number, y: Float32Array, dy: number): Promise<{ xtx: Float64Array; xty: Float64Array }> {
  const g = new Graph('gram', 'float32');
  const xi = g.input('x', 'float32', ['N', dx]);
  const yi = g.input('y', 'float32', ['N', dy]);
  const xt = op.transpose(xi, [1, 0]);
  g.output(op.matmul(xt, xi), 'xtx');
  g.output(op.matmul(xt, yi), 'xty');
  const s = await createSession(g.toModel({ paramsAs: 'inputs' }));
  const n = x.length / dx;
  const xtx = new Float64Array(dx * dx);
  const xty = new Float64Array(dx * dy);
  for (let start = 0; start < n; start += 8192) {
    const rows = Math.min(8192, n - start);
    const r = await s.run({ x: tensor('float32', [rows, dx], x.subarray(start * dx, (start + rows) * dx)), y: tensor('float32', [rows, dy], y.subarray(start * dy, (start + rows) * dy)) });
    (r.xtx!.data as Float32Array).forEach((v, i) => (xtx[i] = xtx[i]! + v));
    (r.xty!.data as Float32Array).forEach((v, i) => (xty[i] = xty[i]! + v));
  }
  await s.release();
  return { xtx, xty };
}

/** Solves (A + lambda I) W = B for symmetric positive semi-definite A (Cholesky, float64). */
export function ridgeSolve(a: Float64Array, b: Float64Array, d: number, m: number, lambda: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]! + (i === j ? lambda : 0);
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * d + j]!;
    }
  }
  const w = new Float64Array(d * m);
  const z = new Float64Array(d);
  for (let col = 0; col < m; col++) {
    for (let i = 0; i < d; i++) {
      let s = b[i * m + col]!;
      for (let k = 0; k < i; k++) s -= l[i * d + k]! * z[k]!;
      z[i] = s / l[i * d + i]!;
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * w[k * m + col]!;
      w[i * m + col] = s / l[i * d + i]!;
    }
  }
  return w;
}

/** A least-squares (ridge) linear map from standardised x to standardised y, with a bias column. */
export async function fitRidge(x: Float32Array, dx: number, y: Float32Array, dy: number, lambda: number): Promise<(q: Float32Array) => Float32Array> {
  const n = x.length / dx;
  const xb = new Float32Array(n * (dx + 1));
  for (let r = 0; r < n; r++) {
    xb.set(x.subarray(r * dx, (r + 1) * dx), r * (dx + 1));
    xb[r * (dx + 1) + dx] = 1;
  }
  const { xtx, xty } = await grams(xb, dx + 1, y, dy);
  const w = ridgeSolve(xtx, xty, dx + 1, dy, lambda * n);
  return (q) => {
    const nq = q.length / dx;
    const out = new Float32Array(nq * dy);
    for (let r = 0; r < nq; r++) {
      for (let k = 0; k < dy; k++) {
        let s = w[dx * dy + k]!;
        for (let i = 0; i < dx; i++) s += q[r * dx + i]! * w[i * dy + k]!;
        out[r * dy + k] = s;
      }
    }
    return out;
  };
}

/** Nearest neighbours through the training pairs: a query becomes the mean target of its k nearest training sources. */
export function fitNeighbours(x: Float32Array, dx: number, y: Float32Array, dy: number, k = 10): (q: Float32Array) => Promise<Float32Array> {
  const xn = normalizeRows(x, dx);
  return async (q) => {
    const nq = q.length / dx;
    const idx = await topK(normalizeRows(q, dx), xn, dx, k);
    const kk = idx.length / nq;
    const out = new Float32Array(nq * dy);
    for (let r = 0; r < nq; r++) {
      for (let j = 0; j < kk; j++) {
        const src = idx[r * kk + j]!;
        for (let i = 0; i < dy; i++) out[r * dy + i] = out[r * dy + i]! + y[src * dy + i]! / kk;
      }
    }
    return out;
  };
}

export interface BaselineResult {
  ridge: CrossModalResult;
  neighbours: CrossModalResult;
  /** null when a side is wider than CCA_MAX_DIM (the eigen-solver is cubic in the width). */
  cca: CrossModalResult | null;
}

export const CCA_MAX_DIM = 1024;

/**
 * The training-free baselines on the same split: ridge maps, nearest neighbours and CCA, each direction
 * fitted on the training pairs (a row per caption) in the standardised spaces.
 */
export async function evaluateBaselines(train: { a: Float32Array; b: Float32Array }, set: EvalSet, dims: { a: number; b: number }, lambda = 1e-3): Promise<BaselineResult> {
  const sa = columnStats(train.a, dims.a);
  const sb = columnStats(train.b, dims.b);
  const ta = standardise(train.a, sa.mean, sa.invstd);
  const tb = standardise(train.b, sb.mean, sb.invstd);
  const va = standardise(set.aVecs, sa.mean, sa.invstd);
  const vb = standardise(set.bVecs, sb.mean, sb.invstd);
  const ab = await fitRidge(ta, dims.a, tb, dims.b, lambda);
  const ba = await fitRidge(tb, dims.b, ta, dims.a, lambda);
  const common = { captionGallery: vb, captionDim: dims.b, mediaGallery: va, mediaDim: dims.a, owner: set.owner };
  const ridge = await crossModalRecall({ ...common, mediaQueries: ab(va), captionQueries: ba(vb) });
  const nab = fitNeighbours(ta, dims.a, tb, dims.b);
  const nba = fitNeighbours(tb, dims.b, ta, dims.a);
  const neighbours = await crossModalRecall({ ...common, mediaQueries: await nab(va), captionQueries: await nba(vb) });
  let cca: CrossModalResult | null = null;
  if (Math.max(dims.a, dims.b) <= CCA_MAX_DIM) {
    const n = ta.length / dims.a;
    const { xtx: cxx, xty: cxy } = await grams(ta, dims.a, tb, dims.b);
    const { xtx: cyy } = await grams(tb, dims.b, tb, dims.b);
    for (const m of [cxx, cxy, cyy]) for (let i = 0; i < m.length; i++) m[i] = m[i]! / n;
    const model = fitCca(cxx, cyy, cxy, dims.a, dims.b, Math.min(dims.a, dims.b, 256));
    const pa = project(va, dims.a, model.a, model.k);
    const pb = project(vb, dims.b, model.b, model.k);
    cca = await crossModalRecall({ mediaQueries: pa, captionGallery: pb, captionDim: model.k, captionQueries: pb, mediaGallery: pa, mediaDim: model.k, owner: set.owner });
  }
  return { ridge, neighbours, cca };
}
