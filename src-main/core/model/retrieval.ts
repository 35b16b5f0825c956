// Retrieval metrics as the papers compute them: Recall@1/5/10 in both directions (a media item hits
// when any of its captions is in the top K; a caption hits when its one media item is) and mAP@10.
// Ranking runs in ONNX Runtime (blocked MatMul + TopK), so COCO-sized test sets take seconds.
import { Graph } from '../onnx/graph.ts';
import * as op from '../onnx/ops.ts';
import { createSession, tensor, type Session } from '../onnx/runtime.ts';

export interface Recall {
  r1: number;
  r5: number;
  r10: number;
  map10: number;
}

export const TOP = 10;

/** Rows scaled to unit length (cosine similarity becomes a dot product). */
export function normalizeRows(x: Float32Array, d: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[r * d + i]! ** 2;
    const inv = 1 / Math.sqrt(s + 1e-12);
    for (let i = 0; i < d; i++) out[r * d + i] = x[r * d + i]! * inv;
  }
  return out;
}

// One session per (width, k), kept for the process: evaluations alternate between two widths.
const scorers = new Map<string, Promise<Session>>();

async function topkSession(d: number, k: number): Promise<Session> {
  const cached = scorers.get(`${d}:${k}`);
  if (cached) return cached;
  const g = new Graph('topk', 'float32');
  const q = g.input('q', 'float32', ['Q', d]);
  const gal = g.input('g', 'float32', ['G', d]);
  const scores = op.matmul(q, op.transpose(gal, [1, 0]));
  const [val, idx] = g.node('TopK', [scores, g.ints([k])], [{ dtype: 'float32', shape: ['Q', k] }, { dtype: 'int64', shape: ['Q', k] }], { axis: { i: -1 }, largest: { i: 1 }, sorted: { i: 1 } }, 'none');
  g.output(val!, 'val');
  g.output(idx!, 'idx');
  const session = createSession(g.toModel({ paramsAs: 'inputs' }));
  scorers.set(`${d}:${k}`, session);
  return session;
}

/** Indices of the k best gallery rows for each query row (by dot product), best first. */
export async function topK(queries: Float32Array, gallery: Float32Array, d: number, k: number): Promise<Int32Array> {
  return (await topKScored(queries, gallery, d, k)).indices;
}

/** The k best gallery rows per query row with their dot products, best first ([nq, min(k, ng)]). */
export async function topKScored(queries: Float32Array, gallery: Float32Array, d: number, k: number): Promise<{ indices: Int32Array; scores: Float32Array; k: number }> {
  const nq = queries.length / d;
  const ng = gallery.length / d;
  const kk = Math.min(k, ng);
  const indices = new Int32Array(nq * kk);
  const scores = new Float32Array(nq * kk);
  if (kk === 0) return { indices, scores, k: 0 };
  const s = await topkSession(d, kk);
  const g = tensor('float32', [ng, d], gallery);
  const block = 512;
  for (let start = 0; start < nq; start += block) {
    const rows = Math.min(block, nq - start);
    const r = await s.run({ q: tensor('float32', [rows, d], queries.subarray(start * d, (start + rows) * d)), g });
    const idx = r.idx!.data as BigInt64Array;
    for (let i = 0; i < idx.length; i++) indices[start * kk + i] = Number(idx[i]!);
    scores.set(r.val!.data as Float32Array, start * kk);
  }
  return { indices, scores, k: kk };
}

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
  const captionsOf: Set<number>[] = Array.from({ length: nMedia }, () => new Set());
  set.owner.forEach((m, j) => captionsOf[m]!.add(j));
  const k = TOP;
  const fwdRank = await topK(normalizeRows(set.mediaQueries, set.captionDim), normalizeRows(set.captionGallery, set.captionDim), set.captionDim, k);
  const forward = scoreRanking(fwdRank, Math.min(k, set.captionGallery.length / set.captionDim), (q) => captionsOf[q]!);
  const bwdRank = await topK(normalizeRows(set.captionQueries, set.mediaDim), normalizeRows(set.mediaGallery, set.mediaDim), set.mediaDim, k);
  const backward = scoreRanking(bwdRank, Math.min(k, nMedia), (q) => new Set([set.owner[q]!]));
  const rsum = 100 * (forward.r1 + forward.r5 + forward.r10 + backward.r1 + backward.r5 + backward.r10);
  return { forward, backward, rsum };
}
