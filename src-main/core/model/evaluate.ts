// Evaluation of a trained connector and of the training-free baselines on the same split.
import type { ParamValues } from '../onnx/graph.ts';
import { rowMapper, type RowMapper } from './row-mapper.ts';
import { buildInfer } from '../train/artifacts.ts';
import type { ModelSpec } from '../train/spec.ts';
import { directionTask, normParams, type AltMoeConfig } from './altmoe.ts';
import { identity, recallOf } from './baselines/maps.ts';
import { microScore } from './baselines/recall.ts';
import { tuneBaselines, type BaselineName } from './baselines/tuned.ts';
import { crossModalRecall, type CrossModalResult } from './retrieval.ts';
import type { EvalSet } from './eval-set.ts';

/**
 * Variance floor, relative to the mean variance over dimensions. Many CNN features are almost always
 * zero: without a floor their tiny deviations would be blown up to unit scale and drown the rest.
 */
export const VARIANCE_FLOOR = 0.01;

/** Per-dimension mean and 1/std of row vectors (the standardisation the connector and baselines apply). */
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
  const variance = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    m[i] = mean[i]! / n;
    variance[i] = Math.max(sq[i]! / n - (mean[i]! / n) ** 2, 0);
  }
  const floor = (VARIANCE_FLOOR * variance.reduce((a, v) => a + v, 0)) / d + 1e-12;
  const inv = Float32Array.from(variance, (v) => 1 / Math.sqrt(v + floor));
  return { mean: m, invstd: inv };
}

export function standardise(x: Float32Array, mean: Float32Array, invstd: Float32Array): Float32Array {
  const d = mean.length;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i]! - mean[i % d]!) * invstd[i % d]!;
  return out;
}

/** A session mapping source vectors through a trained direction. */
export type DirectionMapper = RowMapper;

/** A reusable session that maps source vectors through a trained direction (contrastive head 'mapped' or prediction head 'pred'). */
export async function directionMapper(spec: ModelSpec, values: ParamValues, s: string, t: string, head: 'mapped' | 'pred' = 'mapped'): Promise<DirectionMapper> {
  const c = spec.config as unknown as AltMoeConfig;
  const ds = c.modalities[s]!;
  const dt = c.modalities[t]!;
  return rowMapper(buildInfer(spec, directionTask(spec, s, t), values, [head]), s, ds, head, dt);
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

export interface BaselineOutcome {
  result: CrossModalResult;
  /** The hyper-parameters chosen on validation, and the validation micro-score they reached. */
  hyper: Record<string, number | string>;
  valScore: number;
}

/** The tuned baselines, and the zero-shot row when the pair's encoders share a joint space. */
export type BaselineResults = Record<BaselineName, BaselineOutcome> & { zeroshot?: BaselineOutcome };

/**
 * The training-free baselines (ridge, nearest neighbours, CCA, ASIF), each tuned on the validation
 * split and evaluated on the given set, all in the spaces standardised with training statistics
 * (the same standardisation the connector applies).
 */
export async function evaluateBaselines(train: { a: Float32Array; b: Float32Array }, val: EvalSet, set: EvalSet, dims: { a: number; b: number }, opts: { joint?: boolean } = {}): Promise<BaselineResults> {
  const sa = columnStats(train.a, dims.a);
  const sb = columnStats(train.b, dims.b);
  const std = (e: EvalSet): EvalSet => ({ ...e, aVecs: standardise(e.aVecs, sa.mean, sa.invstd), bVecs: standardise(e.bVecs, sb.mean, sb.invstd) });
  const tuned = await tuneBaselines({ a: standardise(train.a, sa.mean, sa.invstd), b: standardise(train.b, sb.mean, sb.invstd), dims }, std(val));
  const target = std(set);
  const out = {} as BaselineResults;
  for (const t of tuned) out[t.name] = { result: await recallOf(t.maps, target), hyper: t.hyper, valScore: t.valScore };
  if (opts.joint) out.zeroshot = await zeroShot(val, set, dims);
  return out;
}

/** Towers of one contrastive model ranked by cosine of their raw vectors: nothing fitted, nothing tuned. */
async function zeroShot(val: EvalSet, set: EvalSet, dims: { a: number; b: number }): Promise<BaselineOutcome> {
  if (dims.a !== dims.b) throw new Error(`a zero-shot baseline needs vectors of one width (${dims.a} vs ${dims.b})`);
  const same = { query: identity, gallery: identity, dim: dims.a };
  const maps = { aToB: same, bToA: same };
  const onVal = await recallOf(maps, val);
  return { result: await recallOf(maps, set), hyper: {}, valScore: microScore([{ result: onVal, media: val.aVecs.length / dims.a, captions: val.owner.length }]) };
}
