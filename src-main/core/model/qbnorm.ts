// QB-Norm (Bogolin et al., arXiv 2112.12777) for what a run serves: each gallery item's score is
// normalised by how strongly a bank of queries (the run's training items and the catalog's unpaired
// items of the query modality) already points at it, with the inverted softmax. Hubs (gallery items
// near everything) lose rank. The strength is chosen per direction on val, and off when it does not
// help there; the graphs in ensemble.ts carry the result, so search, evaluation and export agree.
import { normalizeRows, topK } from '../index/exact.ts';
import { mulberry32, permutation } from '../util/rng.ts';
import { galleryNorm, servedDim, weightsFor, type Direction, type EnsembleConfig, type HubCorrection } from './ensemble.ts';
import type { EvalSet } from './eval-set.ts';
import { product } from './linalg.ts';
import { meanRecall } from './baselines/recall.ts';
import { relevantSets, scoreRanking, TOP } from './retrieval.ts';
import { dims, galleryMapper, mapOnce, queryMapper, type Served } from './served.ts';

/** Inverse temperatures tried on val (0: no correction). */
export const QB_BETAS = [3, 5, 10, 20];
/** Most bank rows per direction: each gallery row is scored against every one of them. */
export const MAX_BANK = 512;

/** The bank's raw source rows: at most MAX_BANK of the given blocks' rows, a seeded choice. */
export function bankRows(blocks: readonly Float32Array[], d: number, seed: number): Float32Array {
  const n = blocks.reduce((s, b) => s + b.length / d, 0);
  const all = new Float32Array(n * d);
  let at = 0;
  for (const b of blocks) {
    all.set(b, at);
    at += b.length;
  }
  if (n <= MAX_BANK) return all;
  const keep = Array.from(permutation(n, mulberry32(seed + 303)).slice(0, MAX_BANK)).sort((x, y) => x - y);
  const out = new Float32Array(keep.length * d);
  keep.forEach((r, i) => out.set(all.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

/** r(g) = (R / beta) log mean_b exp(beta cos(b, g)) for gallery rows [ng, d] (norm R) against unit bank rows [nb, d]. */
export async function bankTerm(gallery: Float32Array, bank: Float32Array, d: number, norm: number, beta: number): Promise<Float32Array> {
  const ng = gallery.length / d;
  const nb = bank.length / d;
  const bt = new Float32Array(d * nb);
  for (let r = 0; r < nb; r++) for (let i = 0; i < d; i++) bt[i * nb + r] = bank[r * d + i]!;
  const sims = await product(gallery, ng, d, bt, nb);
  const out = new Float32Array(ng);
  for (let g = 0; g < ng; g++) {
    let top = -Infinity;
    for (let b = 0; b < nb; b++) top = Math.max(top, (beta * sims[g * nb + b]!) / norm);
    let sum = 0;
    for (let b = 0; b < nb; b++) sum += Math.exp((beta * sims[g * nb + b]!) / norm - top);
    out[g] = ((top + Math.log(sum / nb)) * norm) / beta;
  }
  return out;
}

/** [unit(q), 1, 0] and [g, -r, sqrt(R^2 - r^2)]: rows whose dot product is R cos(q, g) - r(g), as the served graphs give. */
function corrected(q: Float32Array, g: Float32Array, d: number, r: Float32Array, norm: number): { q: Float32Array; g: Float32Array } {
  const uq = normalizeRows(q, d);
  const nq = q.length / d;
  const ng = g.length / d;
  const qx = new Float32Array(nq * (d + 2));
  for (let i = 0; i < nq; i++) {
    qx.set(uq.subarray(i * d, (i + 1) * d), i * (d + 2));
    qx[i * (d + 2) + d] = 1;
  }
  const gx = new Float32Array(ng * (d + 2));
  for (let i = 0; i < ng; i++) {
    gx.set(g.subarray(i * d, (i + 1) * d), i * (d + 2));
    gx[i * (d + 2) + d] = -r[i]!;
    gx[i * (d + 2) + d + 1] = Math.sqrt(Math.max(0, norm * norm - r[i]! ** 2));
  }
  return { q: qx, g: gx };
}

export interface QbChoice {
  hub: Partial<Record<Direction, HubCorrection>>;
  /** Bank tensors ('hub.a2b', 'hub.b2a') of the directions it is on. */
  tensors: Record<string, Float32Array>;
  /** Val mean recall per direction with the choice, and without any correction. */
  best: Record<Direction, number>;
  off: Record<Direction, number>;
}

/**
 * Chooses each direction's QB-Norm strength on val for the served ensemble `s` (no correction yet):
 * the served query and gallery rows once, then every beta of QB_BETAS scored on them; the best is
 * kept only where it raises val's mean recall and loses on neither half of val.
 * banks: raw rows of each modality for the bank (bankRows).
 */
export async function chooseQbNorm(s: Served, val: EvalSet, banks: { a: Float32Array; b: Float32Array }): Promise<QbChoice> {
  const e: EnsembleConfig = { ...s.ensemble, hub: undefined };
  const plain: Served = { ...s, ensemble: e };
  const out: QbChoice = { hub: {}, tensors: {}, best: { a2b: 0, b2a: 0 }, off: { a2b: 0, b2a: 0 } };
  const { captionsOf, mediaOf } = relevantSets(val.owner, val.aVecs.length / dims(s)[e.a]!);
  for (const [dir, src, tgt, queries, gallery, bank] of [
    ['a2b', e.a, e.b, val.aVecs, val.bVecs, banks.a],
    ['b2a', e.b, e.a, val.bVecs, val.aVecs, banks.b],
  ] as const) {
    const q = await mapOnce(queryMapper(plain, src, tgt), queries);
    const g = await mapOnce(galleryMapper(plain, tgt), gallery);
    const d = servedDim(e, tgt, dims(s));
    const norm = galleryNorm(weightsFor(e, tgt));
    const ub = normalizeRows(await mapOnce(queryMapper(plain, src, tgt), bank), d);
    const relevant = (qi: number): ReadonlySet<number> => (dir === 'a2b' ? captionsOf : mediaOf)[qi]!;
    const { beta, score, off } = await chooseBeta({ q, g, bank: ub, d, norm }, relevant);
    out.off[dir] = off;
    out.best[dir] = score;
    if (beta > 0) {
      out.hub[dir] = { kind: 'qbnorm', beta, k: 0, bank: ub.length / d };
      out.tensors[`hub.${dir}`] = ub;
    }
  }
  return out;
}

/**
 * Mean recall (R@1, R@5, R@10 averaged, retrieval.ts's scoreRanking) with the bank term r, of all
 * queries and of each half of `halves` (query indices).
 */
async function recalls(rows: { q: Float32Array; g: Float32Array; d: number; norm: number }, r: Float32Array, relevant: (q: number) => ReadonlySet<number>, halves: readonly (readonly number[])[] = []): Promise<number[]> {
  const { d } = rows;
  const k = Math.min(TOP, rows.g.length / d);
  const x = corrected(rows.q, rows.g, d, r, rows.norm);
  const ranked = await topK(normalizeRows(x.q, d + 2), normalizeRows(x.g, d + 2), d + 2, k);
  const nq = ranked.length / k;
  const of = (ids: readonly number[]): number => {
    const sub = new Int32Array(ids.length * k);
    ids.forEach((q, i) => sub.set(ranked.subarray(q * k, (q + 1) * k), i * k));
    return meanRecall(scoreRanking(sub, k, (i) => relevant(ids[i]!)));
  };
  return [of(Array.from({ length: nq }, (_, i) => i)), ...halves.map(of)];
}

/** Mean recall (R@1, R@5, R@10 averaged) of the queries with the bank term r: what chooseBeta compares. */
export async function recallWith(rows: { q: Float32Array; g: Float32Array; d: number; norm: number }, r: Float32Array, relevant: (q: number) => ReadonlySet<number>): Promise<number> {
  return (await recalls(rows, r, relevant))[0]!;
}

/**
 * The beta of QB_BETAS (or 0: none) with the best mean recall of queries q [nq, d] against gallery
 * rows g [ng, d] (norm R) and unit bank rows; kept only if it beats no correction on the whole set
 * and loses on neither half of a seeded halving of the queries (a small val set's noise alone
 * should not turn the correction on).
 */
export async function chooseBeta(rows: { q: Float32Array; g: Float32Array; bank: Float32Array; d: number; norm: number }, relevant: (q: number) => ReadonlySet<number>): Promise<{ beta: number; score: number; off: number }> {
  const { g, bank, d, norm } = rows;
  const nq = rows.q.length / d;
  const order = Array.from(permutation(nq, mulberry32(404)));
  const halves = [order.slice(0, nq >> 1), order.slice(nq >> 1)];
  const [off, ...offHalves] = await recalls(rows, new Float32Array(g.length / d), relevant, halves);
  let best = { beta: 0, score: off! };
  for (const beta of bank.length > 0 ? QB_BETAS : []) {
    const [score, ...byHalf] = await recalls(rows, await bankTerm(g, bank, d, norm, beta), relevant, halves);
    if (score! > best.score + 1e-9 && byHalf.every((h, i) => h >= offHalves[i]!)) best = { beta, score: score! };
  }
  return { ...best, off: off! };
}
