// Running what a run serves: its query and gallery graphs (ensemble.ts) in ONNX Runtime, for
// evaluation, search and export alike, and the auto preset's choice of ensemble weights on val.
import type { ParamValues } from '../onnx/graph.ts';
import { product } from './linalg.ts';
import { rowMapper, type RowMapper } from './row-mapper.ts';
import type { ModelSpec } from '../train/spec.ts';
import { mulberry32, permutation } from '../train/rng.ts';
import type { AltMoeConfig } from './altmoe.ts';
import { normParams } from './altmoe.ts';
import { tuneBaselines } from './baselines/tuned.ts';
import { microScore } from './baselines/recall.ts';
import { buildGallery, buildQuery, ensembleValues, MEMBERS, servedDim, type EnsembleConfig, type MemberName } from './ensemble.ts';
import type { EvalSet } from './evaluate.ts';
import { standardise } from './evaluate.ts';
import { crossModalRecall, normalizeRows, scoreRanking, TOP, type CrossModalResult } from './retrieval.ts';

export interface Served {
  spec: ModelSpec;
  /** The run's parameters and the ensemble's arrays together. */
  values: ParamValues;
  ensemble: EnsembleConfig;
}

const dims = (s: Served): Record<string, number> => (s.spec.config as unknown as AltMoeConfig).modalities;

export function queryMapper(s: Served, src: string, tgt: string): Promise<RowMapper> {
  return rowMapper(buildQuery(s.spec, s.values, s.ensemble, src, tgt), src, dims(s)[src]!, 'query', servedDim(s.ensemble, dims(s)[tgt]!));
}

export function galleryMapper(s: Served, tgt: string): Promise<RowMapper> {
  return rowMapper(buildGallery(s.spec, s.values, s.ensemble, tgt), tgt, dims(s)[tgt]!, 'gallery', servedDim(s.ensemble, dims(s)[tgt]!));
}

async function mapOnce(m: Promise<RowMapper>, x: Float32Array): Promise<Float32Array> {
  const mapper = await m;
  try {
    return await mapper.map(x);
  } finally {
    await mapper.release();
  }
}

/** Recall of what a run serves on an evaluation set: the same graphs search and export use. */
export async function evaluateServed(s: Served, set: EvalSet): Promise<CrossModalResult> {
  const fwdDim = servedDim(s.ensemble, dims(s)[set.b]!);
  const bwdDim = servedDim(s.ensemble, dims(s)[set.a]!);
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

/** Most training rows kept as anchors for the neighbour and ASIF members (memory and search cost). */
export const MAX_ANCHORS = 4096;
export const WEIGHT_GRID = [0, 0.25, 0.5, 1, 2];
/** Most val media items (with all their captions) the ensemble weights are chosen on. */
export const WEIGHT_VAL_ITEMS = 2000;

/** At most `max` media items of an evaluation set (a seeded choice), each with all its captions. */
function capMedia(set: EvalSet, da: number, db: number, max: number, seed: number): EvalSet {
  const n = set.aVecs.length / da;
  if (n <= max) return set;
  const keep = Array.from(permutation(n, mulberry32(seed + 101)).slice(0, max)).sort((x, y) => x - y);
  const slot = new Int32Array(n).fill(-1);
  keep.forEach((m, i) => (slot[m] = i));
  const caps = [...set.owner.keys()].filter((j) => slot[set.owner[j]!]! >= 0);
  const aVecs = new Float32Array(keep.length * da);
  keep.forEach((m, i) => aVecs.set(set.aVecs.subarray(m * da, (m + 1) * da), i * da));
  const bVecs = new Float32Array(caps.length * db);
  caps.forEach((j, i) => bVecs.set(set.bVecs.subarray(j * db, (j + 1) * db), i * db));
  return { ...set, aVecs, bVecs, owner: Int32Array.from(caps, (j) => slot[set.owner[j]!]!) };
}

/** Cosine score matrices [nq, ng] of one member on val, both directions. */
interface MemberScores {
  fwd: Float32Array;
  bwd: Float32Array;
}

async function memberScores(base: Served, e: EnsembleConfig, m: MemberName, set: EvalSet): Promise<MemberScores> {
  const one: Served = { ...base, ensemble: { ...e, weights: { connector: 0, ridge: 0, knn: 0, cca: 0, asif: 0, [m]: 1 } } };
  const scores = async (src: string, tgt: string, q: Float32Array, g: Float32Array): Promise<Float32Array> => {
    const d = servedDim(one.ensemble, dims(one)[tgt]!);
    const qu = normalizeRows(await mapOnce(queryMapper(one, src, tgt), q), d);
    const gu = normalizeRows(await mapOnce(galleryMapper(one, tgt), g), d);
    const nq = qu.length / d;
    const ng = gu.length / d;
    const gt = new Float32Array(d * ng);
    for (let j = 0; j < ng; j++) for (let k = 0; k < d; k++) gt[k * ng + j] = gu[j * d + k]!;
    return product(qu, nq, d, gt, ng);
  };
  return { fwd: await scores(set.a, set.b, set.aVecs, set.bVecs), bwd: await scores(set.b, set.a, set.bVecs, set.aVecs) };
}

/** The TOP best gallery columns of each row of a score matrix [nq, ng]. */
function rankRows(s: Float32Array, nq: number, ng: number): Int32Array {
  const k = Math.min(TOP, ng);
  const out = new Int32Array(nq * k);
  for (let i = 0; i < nq; i++) {
    const best: number[] = [];
    for (let j = 0; j < ng; j++) {
      const v = s[i * ng + j]!;
      if (best.length === k && v <= s[i * ng + best[k - 1]!]!) continue;
      let at = best.length === k ? k - 1 : best.length;
      if (best.length < k) best.push(j);
      while (at > 0 && s[i * ng + best[at - 1]!]! < v) {
        best[at] = best[at - 1]!;
        at--;
      }
      best[at] = j;
    }
    out.set(best, i * k);
  }
  return out;
}

function comboScore(members: Partial<Record<MemberName, MemberScores>>, w: Record<MemberName, number>, set: EvalSet, da: number): number {
  const nMedia = set.aVecs.length / da;
  const nCap = set.owner.length;
  const sum = (key: 'fwd' | 'bwd', n: number): Float32Array => {
    const out = new Float32Array(n);
    for (const m of MEMBERS) {
      const s = members[m];
      if (!s || w[m] === 0) continue;
      const src = s[key];
      for (let i = 0; i < n; i++) out[i] = out[i]! + w[m] * src[i]!;
    }
    return out;
  };
  const captionsOf: Set<number>[] = Array.from({ length: nMedia }, () => new Set());
  set.owner.forEach((m, j) => captionsOf[m]!.add(j));
  const fwd = scoreRanking(rankRows(sum('fwd', nMedia * nCap), nMedia, nCap), Math.min(TOP, nCap), (q) => captionsOf[q]!);
  const bwd = scoreRanking(rankRows(sum('bwd', nCap * nMedia), nCap, nMedia), Math.min(TOP, nMedia), (q) => new Set([set.owner[q]!]));
  return microScore([{ result: { forward: fwd, backward: bwd, rsum: 0 }, media: nMedia, captions: nCap }]);
}

export interface EnsembleFit {
  ensemble: EnsembleConfig;
  tensors: Record<string, Float32Array>;
  /** Validation micro-score of each member alone and of the chosen weights. */
  single: Record<MemberName, number>;
  valScore: number;
}

/**
 * Fits the training-free members on the run's standardised training rows, scores every member on
 * val, then chooses the weights (coordinate ascent over WEIGHT_GRID, two passes, starting from the
 * best single member) that maximise the validation micro-score. The connector's own weight is in
 * the grid too, so the result can never be worse on val than the best single member.
 */
export async function fitEnsemble(spec: ModelSpec, values: ParamValues, pair: { a: string; b: string; trainA: Float32Array; trainB: Float32Array; val: EvalSet }, seed: number): Promise<EnsembleFit> {
  const c = spec.config as unknown as AltMoeConfig;
  const { a, b } = pair;
  const [da, db] = [c.modalities[a]!, c.modalities[b]!];
  const std = (m: string, x: Float32Array): Float32Array => {
    const [mean, invstd] = normParams(m);
    return standardise(x, values.get(mean) as Float32Array, values.get(invstd) as Float32Array);
  };
  // A seeded subset of the training rows as anchors: bounded memory in search, whatever the data size.
  const n = pair.trainA.length / da;
  const keep = Array.from(permutation(n, mulberry32(seed)).slice(0, Math.min(n, MAX_ANCHORS))).sort((x, y) => x - y);
  const pick = (x: Float32Array, d: number): Float32Array => {
    const out = new Float32Array(keep.length * d);
    keep.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
    return out;
  };
  const ta = pick(std(a, pair.trainA), da);
  const tb = pick(std(b, pair.trainB), db);
  const sval: EvalSet = { ...pair.val, aVecs: std(a, pair.val.aVecs), bVecs: std(b, pair.val.bVecs) };
  const tuned = await tuneBaselines({ a: ta, b: tb, dims: { a: da, b: db } }, sval);
  const by = Object.fromEntries(tuned.map((t) => [t.name, t]));
  const tensors: Record<string, Float32Array> = {
    'ridge.a2b.w': by.ridge!.tensors['a2b.w']!.data,
    'ridge.b2a.w': by.ridge!.tensors['b2a.w']!.data,
    'cca.a.w': by.cca!.tensors['a.w']!.data,
    'cca.b.w': by.cca!.tensors['b.w']!.data,
    'anchors.a': ta,
    'anchors.b': tb,
  };
  const h = (name: string, key: string): number => Number(by[name]!.hyper[key]);
  const ensemble: EnsembleConfig = {
    a,
    b,
    weights: { connector: 1, ridge: 0, knn: 0, cca: 0, asif: 0 },
    knn: { a2b: { k: h('knn', 'k_a2b'), temperature: h('knn', 'temperature_a2b') }, b2a: { k: h('knn', 'k_b2a'), temperature: h('knn', 'temperature_b2a') } },
    asif: { k: h('asif', 'k'), power: h('asif', 'power') },
    ccaDim: h('cca', 'components'),
    anchors: keep.length,
  };
  const base: Served = { spec, values: new Map([...values, ...ensembleValues(tensors)]), ensemble };
  // Score matrices grow with val squared: the weights are chosen on at most WEIGHT_VAL_ITEMS media items.
  const wval = capMedia(pair.val, da, db, WEIGHT_VAL_ITEMS, seed);
  const scores: Partial<Record<MemberName, MemberScores>> = {};
  for (const m of MEMBERS) scores[m] = await memberScores(base, ensemble, m, wval);
  const zero: Record<MemberName, number> = { connector: 0, ridge: 0, knn: 0, cca: 0, asif: 0 };
  const single = Object.fromEntries(MEMBERS.map((m) => [m, comboScore(scores, { ...zero, [m]: 1 }, wval, da)])) as Record<MemberName, number>;
  const first = MEMBERS.reduce((x, m) => (single[m] > single[x] ? m : x));
  let w = { ...zero, [first]: 1 };
  let best = single[first];
  for (let pass = 0; pass < 2; pass++) {
    for (const m of MEMBERS) {
      for (const v of WEIGHT_GRID) {
        const trial = { ...w, [m]: v };
        if (MEMBERS.every((x) => trial[x] === 0)) continue;
        const s = comboScore(scores, trial, wval, da);
        if (s > best + 1e-9) {
          best = s;
          w = trial;
        }
      }
    }
  }
  return { ensemble: { ...ensemble, weights: w }, tensors, single, valScore: best };
}
