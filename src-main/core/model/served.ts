// Running what a run serves: its query and gallery graphs (ensemble.ts) in ONNX Runtime, for
// evaluation, search and export alike, and the auto preset's choice of ensemble weights on val.
import type { ParamValues } from '../onnx/graph.ts';
import type { ModelSpec } from '../train/spec.ts';
import type { AltMoeConfig } from './altmoe.ts';
import { buildGallery, buildQuery, servedDim, type EnsembleConfig } from './ensemble.ts';
import type { EvalSet } from './eval-set.ts';
import { crossModalRecall, type CrossModalResult } from './retrieval.ts';
import { rowMapper, type RowMapper } from './row-mapper.ts';

export interface Served {
  spec: ModelSpec;
  /** The run's parameters and the ensemble's arrays together. */
  values: ParamValues;
  ensemble: EnsembleConfig;
}

export const dims = (s: Served): Record<string, number> => (s.spec.config as unknown as AltMoeConfig).modalities;

export function queryMapper(s: Served, src: string, tgt: string): Promise<RowMapper> {
  return rowMapper(buildQuery(s.spec, s.values, s.ensemble, src, tgt), src, dims(s)[src]!, 'query', servedDim(s.ensemble, tgt, dims(s)));
}

export function galleryMapper(s: Served, tgt: string): Promise<RowMapper> {
  return rowMapper(buildGallery(s.spec, s.values, s.ensemble, tgt), tgt, dims(s)[tgt]!, 'gallery', servedDim(s.ensemble, tgt, dims(s)));
}

export async function mapOnce(m: Promise<RowMapper>, x: Float32Array): Promise<Float32Array> {
  const mapper = await m;
  try {
    return await mapper.map(x);
  } finally {
    await mapper.release();
  }
}

/** Recall of what a run serves on an evaluation set: the same graphs search and export use. */
export async function evaluateServed(s: Served, set: EvalSet): Promise<CrossModalResult> {
  const fwdDim = servedDim(s.ensemble, set.b, dims(s));
  const bwdDim = servedDim(s.ensemble, set.a, dims(s));
  return crossModalRecall({
    mediaQueries: await mapOnce(queryMapper(s, set.a, set.b), set.aVecs),
    captionGallery: await mapOnce(galleryMapper(s, set.b), set.bVecs),
    captionDim: fwdDim,
    captionQueries: await mapOnce(queryMapper(s, set.b, set.a), set.bVecs),
    mediaGallery: await mapOnce(galleryMapper(s, set.a), set.aVecs),
    mediaDim: bwdDim,
    owner: set.owner,
  });
}
