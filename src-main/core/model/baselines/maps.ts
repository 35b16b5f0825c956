// What every cross-modal method is to evaluation, search and export: per direction, a query map
// (source vectors -> a space) and a gallery map (target vectors -> the same space), ranked by
// cosine there. Inputs are vectors standardised with the training statistics.
import type { EvalSet } from '../eval-set.ts';
import { crossModalRecall, type CrossModalResult } from '../retrieval.ts';

export type VecMap = (x: Float32Array) => Promise<Float32Array> | Float32Array;

export interface DirectionMaps {
  query: VecMap;
  gallery: VecMap;
  /** Width of the space both land in. */
  dim: number;
}

/** A method fitted on a media (a) / caption (b) pair: a -> b and b -> a. */
export interface PairMaps {
  aToB: DirectionMaps;
  bToA: DirectionMaps;
}

/** Recall of both directions on standardised evaluation vectors. */
export async function recallOf(maps: PairMaps, set: EvalSet): Promise<CrossModalResult> {
  return crossModalRecall({
    mediaQueries: await maps.aToB.query(set.aVecs),
    captionGallery: await maps.aToB.gallery(set.bVecs),
    captionDim: maps.aToB.dim,
    captionQueries: await maps.bToA.query(set.bVecs),
    mediaGallery: await maps.bToA.gallery(set.aVecs),
    mediaDim: maps.bToA.dim,
    owner: set.owner,
  });
}

export const identity: VecMap = (x) => x;
