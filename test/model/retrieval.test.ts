import { describe, expect, it } from 'vitest';
import { crossModalRecall, scoreRanking } from '../../src-main/core/model/retrieval.ts';
import { normalizeRows, topK } from '../../src-main/core/index/exact.ts';
import { leadingEigen, ridgeSolve, svd, symmetricEigen } from '../../src-main/core/model/linalg.ts';
import { seeded } from '../onnx/gradcheck.ts';

/** Plain sort-based ranking, the reference for the ONNX TopK path. */
function bruteRank(q: Float32Array, g: Float32Array, d: number): number[][] {
  const qn = normalizeRows(q, d);
  const gn = normalizeRows(g, d);
  const out: number[][] = [];
  for (let i = 0; i < q.length / d; i++) {
    const scores = Array.from({ length: g.length / d }, (_, j) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += qn[i * d + k]! * gn[j * d + k]!;
      return [s, j] as const;
    });
    out.push(scores.sort((a, b) => b[0] - a[0]).map((x) => x[1]));
  }
  return out;
}

describe('retrieval metrics', () => {
  it('follow the 5-captions rule on a hand-made case', () => {
    // 3 images; ranked captions for each image query (top 10). Captions 0-4 belong to image 0, 5-9 to image 1, 10-14 to image 2.
    const ranked = Int32Array.from([
      ...[3, 7, 8, 9, 10, 11, 12, 13, 14, 5], // image 0: own caption first -> hit at 1
      ...[0, 1, 2, 3, 4, 10, 11, 12, 13, 14], // image 1: none of 5-9 in the top 10 -> miss
      ...[0, 1, 2, 3, 11, 4, 5, 6, 7, 8], // image 2: first own caption at rank 5 -> R@5, R@10
    ]);
    const captionsOf = (q: number): Set<number> => new Set([0, 1, 2, 3, 4].map((c) => c + 5 * q));
    const r = scoreRanking(ranked, 10, captionsOf);
    expect(r.r1).toBeCloseTo(1 / 3, 12);
    expect(r.r5).toBeCloseTo(2 / 3, 12);
    expect(r.r10).toBeCloseTo(2 / 3, 12);
    // AP@10 (caption 5 at rank 10 is image 1's): image 0: one hit at 1 -> (1/1) / 5; image 1: 0; image 2: hit at 5 -> (1/5) / 5.
    expect(r.map10).toBeCloseTo((1 / 5 + 0 + 0.2 / 5) / 3, 12);
  });

  it('ONNX top-k ranking and recall agree with a brute-force sort', async () => {
    const rand = seeded(5);
    const d = 8;
    const nMedia = 30;
    const media = Float32Array.from({ length: nMedia * d }, rand);
    const owner = Int32Array.from({ length: nMedia * 5 }, (_, j) => Math.floor(j / 5));
    // Captions near their image, with noise: some hits, some misses.
    const captions = Float32Array.from({ length: owner.length * d }, (_, i) => media[owner[Math.floor(i / d)]! * d + (i % d)]! + 0.9 * rand());
    const ranked = await topK(normalizeRows(media, d), normalizeRows(captions, d), d, 10);
    const brute = bruteRank(media, captions, d);
    for (let q = 0; q < nMedia; q++) expect(Array.from(ranked.subarray(q * 10, q * 10 + 10))).toEqual(brute[q]!.slice(0, 10));

    const r = await crossModalRecall({ mediaQueries: media, captionGallery: captions, captionDim: d, captionQueries: captions, mediaGallery: media, mediaDim: d, owner });
    const i2t = (k: number): number => brute.filter((list, q) => list.slice(0, k).some((c) => owner[c] === q)).length / nMedia;
    expect(r.forward.r1).toBeCloseTo(i2t(1), 12);
    expect(r.forward.r5).toBeCloseTo(i2t(5), 12);
    expect(r.forward.r10).toBeCloseTo(i2t(10), 12);
    const bruteBack = bruteRank(captions, media, d);
    const t2i = (k: number): number => bruteBack.filter((list, q) => list.slice(0, k).includes(owner[q]!)).length / owner.length;
    expect(r.backward.r1).toBeCloseTo(t2i(1), 12);
    expect(r.backward.r5).toBeCloseTo(t2i(5), 12);
    expect(r.forward.r1).toBeGreaterThan(0);
    expect(r.forward.r1).toBeLessThan(1);
    expect(r.rsum).toBeCloseTo(100 * (i2t(1) + i2t(5) + i2t(10) + t2i(1) + t2i(5) + t2i(10)), 9);
  });

  it('ridge solve recovers a known linear map', () => {
    // A = X^T X for X = I (3x3) scaled, B = A W_true -> W = W_true when lambda = 0.
    const d = 3;
    const a = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]);
    const wTrue = Float64Array.from([1, -2, 0.5, 3, 2, -1]); // [3, 2]
    const b = new Float64Array(6);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 3; k++) b[i * 2 + j] = b[i * 2 + j]! + a[i * 3 + k]! * wTrue[k * 2 + j]!;
    const w = ridgeSolve(a, b, d, 2, 0);
    Array.from(w).forEach((v, i) => expect(v).toBeCloseTo(wTrue[i]!, 10));
  });
});

describe('linear algebra (ml-matrix, randomized range finder)', () => {
  const spd = (n: number, seed: number, decay = 1): Float64Array => {
    const rand = seeded(seed);
    const b = Float64Array.from({ length: n * n }, rand);
    const a = new Float64Array(n * n);
    // B diag(decay^k) B^T: a spectrum that falls off, as covariances of real features do.
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] = a[i * n + j]! + b[i * n + k]! * decay ** k * b[j * n + k]!;
    return a;
  };

  it('symmetric eigen-decomposition reconstructs the matrix, values descending', () => {
    const n = 5;
    const a = spd(n, 8);
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 1; i < n; i++) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]!);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
        expect(s).toBeCloseTo(a[i * n + j]!, 9);
      }
    }
  });

  it('the randomized leading eigenpairs of a wide matrix match the full decomposition', async () => {
    const n = 400; // above FULL_EIGEN_MAX, so the range finder runs
    const a = spd(n, 5, 0.9);
    const full = symmetricEigen(a, n);
    const top = await leadingEigen(a, n, 20);
    expect(top.k).toBe(20);
    for (let j = 0; j < 10; j++) {
      expect(Math.abs(top.values[j]! - full.values[j]!) / full.values[j]!).toBeLessThan(1e-3);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += top.vectors[i * 20 + j]! * full.vectors[i * n + j]!;
      expect(Math.abs(dot)).toBeGreaterThan(0.999);
    }
  });

  it('svd reconstructs a wide and a tall matrix', () => {
    for (const [n, m] of [[4, 7], [7, 4]] as const) {
      const rand = seeded(n * 10 + m);
      const a = Float64Array.from({ length: n * m }, rand);
      const { u, s, v, r } = svd(a, n, m);
      expect(r).toBe(Math.min(n, m));
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
        let x = 0;
        for (let k = 0; k < r; k++) x += u[i * r + k]! * s[k]! * v[j * r + k]!;
        expect(x).toBeCloseTo(a[i * m + j]!, 9);
      }
    }
  });
});
