// Retrieval metrics as the papers compute them: Recall@1/5/10 in both directions (a media item hits
// when any of its captions is in the top K; a caption hits when its one media item is) and mAP@10.
// Ranking runs in ONNX Runtime (index/exact.ts), so COCO-sized test sets take seconds.
import { normalizeRows, topK } from '../index/exact.ts';

export interface Recall {
  r1: number;
  r5: number;
  r10: number;
  map10: number;
}

export const TOP = 10;

/** Recall@K and mAP@10 from ranked lists, given which gallery items are relevant to each query. */
export function scoreRanking(ranked: Int32Array, k: number, relevant: (q: number) => ReadonlySet<number>): Recall {
  const nq = ranked.length / k;
  let r1 = 0;
  let r5 = 0;
  let r10 = 0;
  let ap = 0;
  for (let q = 0; q < nq; q++) {
    const rel = relevant(q);
    let first = Infinity;
    let hits = 0;
    let precisionSum = 0;
    for (let i = 0; i < Math.min(k, TOP); i++) {
      if (rel.has(ranked[q * k + i]!)) {
        if (first === Infinity) first = i;
        hits++;
        precisionSum += hits / (i + 1);
      }
    }
    if (first < 1) r1++;
    if (first < 5) r5++;
    if (first < 10) r10++;
    ap += rel.size > 0 ? precisionSum / Math.min(rel.size, TOP) : 0;
  }
  return { r1: r1 / nq, r5: r5 / nq, r10: r10 / nq, map10: ap / nq };
}

/** Each query's relevant gallery items in a media/caption set: a media item's captions, a caption's one media item. */
export function relevantSets(owner: Int32Array, nMedia: number): { captionsOf: Set<number>[]; mediaOf: Set<number>[] } {
  const captionsOf: Set<number>[] = Array.from({ length: nMedia }, () => new Set());
  owner.forEach((m, j) => captionsOf[m]!.add(j));
  return { captionsOf, mediaOf: Array.from(owner, (m) => new Set([m])) };
}

export interface CrossModalResult {
  /** media -> captions */
  forward: Recall;
  /** captions -> media */
  backward: Recall;
  /** R@1 + R@5 + R@10 of both directions, in percent (the "RSUM" of the papers). */
  rsum: number;
}

/**
 * Both retrieval directions for a media/caption evaluation set. mediaQueries: media vectors mapped
 * into the caption space; captionGallery: caption vectors; captionQueries: captions mapped into the
 * media space; mediaGallery: media vectors. owner[j] is the media item of caption j.
 */
export async function crossModalRecall(
  set: { mediaQueries: Float32Array; captionGallery: Float32Array; captionDim: number; captionQueries: Float32Array; mediaGallery: Float32Array; mediaDim: number; owner: Int32Array },
): Promise<CrossModalResult> {
  const nMedia = set.mediaGallery.length / set.mediaDim;
  const { captionsOf, mediaOf } = relevantSets(set.owner, nMedia);
  const k = TOP;
  const fwdRank = await topK(normalizeRows(set.mediaQueries, set.captionDim), normalizeRows(set.captionGallery, set.captionDim), set.captionDim, k);
  const forward = scoreRanking(fwdRank, Math.min(k, set.captionGallery.length / set.captionDim), (q) => captionsOf[q]!);
  const bwdRank = await topK(normalizeRows(set.captionQueries, set.mediaDim), normalizeRows(set.mediaGallery, set.mediaDim), set.mediaDim, k);
  const backward = scoreRanking(bwdRank, Math.min(k, nMedia), (q) => mediaOf[q]!);
  const rsum = 100 * (forward.r1 + forward.r5 + forward.r10 + backward.r1 + backward.r5 + backward.r10);
  return { forward, backward, rsum };
}
