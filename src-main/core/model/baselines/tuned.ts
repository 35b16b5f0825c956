// The training-free baselines, each with its hyper-parameters chosen on the validation split:
// ridge maps (lambda), nearest neighbours through the training pairs (k, weighting), regularised
// CCA (regulariser, components, scaling) and ASIF-style relative representations (anchors kept,
// sharpening). All work in the spaces standardised with training statistics, at any width: wide
// inputs are reduced to their leading principal components first (exact below FULL_EIGEN_MAX).
import { applyMatrix, crossProduct, leadingEigen, matmul64, svd } from '../linalg.ts';
import type { EvalSet } from '../eval-set.ts';
import { type CrossModalResult } from '../retrieval.ts';
import { normalizeRows, topKScored } from '../../index/exact.ts';
import { identity, recallOf, type PairMaps } from './maps.ts';
import { meanRecall, microScore } from './recall.ts';

/** Principal components kept per modality (all of them for narrower inputs). */
export const PCA_COMPONENTS = 256;

export type BaselineName = 'ridge' | 'cca' | 'knn' | 'asif';
export const BASELINES: readonly BaselineName[] = ['ridge', 'cca', 'knn', 'asif'];

/** A fitted baseline: its maps, what was chosen, and the parameters to serve it with. */
export interface TunedBaseline {
  name: BaselineName;
  maps: PairMaps;
  hyper: Record<string, number | string>;
  /** Validation micro-score (mean R@1/5/10 over all val queries, percent) of the chosen setting. */
  valScore: number;
  /** Arrays that define the maps (matrices, anchors), for export and search. */
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
}

export interface PairTrain {
  /** Standardised training rows, one per caption: media vector (a) and caption vector (b). */
  a: Float32Array;
  b: Float32Array;
  dims: { a: number; b: number };
}

const score = (r: CrossModalResult, set: EvalSet, da: number): number => microScore([{ result: r, media: set.aVecs.length / da, captions: set.owner.length }]);

interface Pca {
  /** Components [d, p] (unit columns) and the variance along each. */
  q: Float64Array;
  variance: Float64Array;
  p: number;
  /** Training rows in component coordinates [n, p]. */
  z: Float64Array;
}

export async function pca(x: Float32Array, d: number): Promise<Pca> {
  const n = x.length / d;
  if (n < d) return pcaByGram(x, n, d);
  const c = await crossProduct(x, d, x, d);
  for (let i = 0; i < c.length; i++) c[i] = c[i]! / n;
  const e = await leadingEigen(c, d, Math.min(PCA_COMPONENTS, d));
  const z = new Float64Array(n * e.k);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      const v = x[r * d + i]!;
      if (v === 0) continue;
      for (let j = 0; j < e.k; j++) z[r * e.k + j] = z[r * e.k + j]! + v * e.vectors[i * e.k + j]!;
    }
  }
  return { q: e.vectors, variance: Float64Array.from(e.values, (v) => Math.max(v, 0)), p: e.k, z };
}

/**
 * PCA of fewer rows than dimensions (a small dataset of wide vectors: 100 drawings of 1280-d
 * MobileNet features) from the n x n Gram matrix: the same components with non-zero variance, found
 * in a fraction of the time (the d x d covariance's randomized eigen-decomposition took seconds).
 * Directions of zero variance are left out; the maps give them no weight anyway.
 */
async function pcaByGram(x: Float32Array, n: number, d: number): Promise<Pca> {
  const xt = new Float32Array(d * n);
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) xt[i * n + r] = x[r * d + i]!;
  const g = await crossProduct(xt, n, xt, n);
  for (let i = 0; i < g.length; i++) g[i] = g[i]! / n;
  const e = await leadingEigen(g, n, Math.min(PCA_COMPONENTS, n));
  const top = e.values[0] ?? 0;
  let p = 0;
  while (p < e.k && e.values[p]! > 1e-9 * top) p++;
  const q = new Float64Array(d * p);
  const z = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    // z_j = X q_j = u_j sqrt(n lambda_j), and q_j = X^T u_j / sqrt(n lambda_j) has unit length.
    const s = Math.sqrt(n * e.values[j]!);
    for (let r = 0; r < n; r++) {
      const u = e.vectors[r * e.k + j]!;
      z[r * p + j] = u * s;
      if (u === 0) continue;
      for (let i = 0; i < d; i++) q[i * p + j] = q[i * p + j]! + (x[r * d + i]! * u) / s;
    }
  }
  return { q, variance: Float64Array.from(e.values.subarray(0, p)), p, z };
}

const linear = (w: Float64Array, d: number, k: number) => (x: Float32Array) => applyMatrix(x, d, w, k);
const f32 = (shape: number[], data: Float64Array | Float32Array) => ({ shape, data: Float32Array.from(data) });

/** Z^T Y for component coordinates [n, p] and rows [n, m] (float64). */
function zty(z: Float64Array, p: number, y: Float32Array | Float64Array, m: number): Float64Array {
  const n = z.length / p;
  const out = new Float64Array(p * m);
  for (let r = 0; r < n; r++) for (let i = 0; i < p; i++) {
    const v = z[r * p + i]!;
    for (let j = 0; j < m; j++) out[i * m + j] = out[i * m + j]! + v * y[r * m + j]!;
  }
  return out;
}

export const RIDGE_ALPHAS = [1e-3, 1e-2, 0.03, 0.1, 0.3, 1, 3, 10];

/** Ridge in component coordinates: diag(1 / (n var + lambda)) Z^T Y, lambda = alpha * n * mean variance (times Q^T it maps raw rows). */
function ridgeWeights(p: Pca, zy: Float64Array, m: number, n: number, alpha: number): Float64Array {
  const mean = p.variance.reduce((s, v) => s + v, 0) / p.p;
  const scaled = Float64Array.from(zy);
  for (let i = 0; i < p.p; i++) for (let j = 0; j < m; j++) scaled[i * m + j] = scaled[i * m + j]! / (n * p.variance[i]! + alpha * n * mean);
  return scaled;
}


async function tuneRidge(train: PairTrain, pa: Pca, pb: Pca, val: EvalSet): Promise<TunedBaseline> {
  const { a: da, b: db } = train.dims;
  const n = train.a.length / da;
  const zab = zty(pa.z, pa.p, train.b, db);
  const zba = zty(pb.z, pb.p, train.a, da);
  // Candidates are scored in component coordinates (the same maps, cheaper); each direction has its
  // own matrix, so its lambda is chosen on its own queries.
  const za = applyMatrix(val.aVecs, da, pa.q, pa.p);
  const zb = applyMatrix(val.bVecs, db, pb.q, pb.p);
  const fixedSet = { ...val, aVecs: za, bVecs: zb };
  let best = { ab: RIDGE_ALPHAS[0]!, ba: RIDGE_ALPHAS[0]!, sab: -1, sba: -1 };
  for (const alpha of RIDGE_ALPHAS) {
    const wab = ridgeWeights(pa, zab, db, n, alpha);
    const wba = ridgeWeights(pb, zba, da, n, alpha);
    const qa = applyMatrix(za, pa.p, wab, db);
    const qb = applyMatrix(zb, pb.p, wba, da);
    const r = await recallOf({ aToB: { query: () => qa, gallery: () => val.bVecs, dim: db }, bToA: { query: () => qb, gallery: () => val.aVecs, dim: da } }, fixedSet);
    if (meanRecall(r.forward) > best.sab) best = { ...best, ab: alpha, sab: meanRecall(r.forward) };
    if (meanRecall(r.backward) > best.sba) best = { ...best, ba: alpha, sba: meanRecall(r.backward) };
  }
  const wab = matmul64(pa.q, ridgeWeights(pa, zab, db, n, best.ab), da, pa.p, db);
  const wba = matmul64(pb.q, ridgeWeights(pb, zba, da, n, best.ba), db, pb.p, da);
  const maps: PairMaps = { aToB: { query: linear(wab, da, db), gallery: identity, dim: db }, bToA: { query: linear(wba, db, da), gallery: identity, dim: da } };
  return { name: 'ridge', maps, hyper: { alpha_a2b: best.ab, alpha_b2a: best.ba }, valScore: score(await recallOf(maps, val), val, da), tensors: { 'a2b.w': f32([da, db], wab), 'b2a.w': f32([db, da], wba) } };
}

export const CCA_REGS = [1e-3, 1e-2, 0.03, 0.1, 0.3, 1];
export const CCA_COMPONENTS = [16, 32, 64, 128, 256];
export const CCA_POWERS = [0, 0.5, 1];

/**
 * Regularised CCA on the principal components: whiten each side (variance + reg * mean variance),
 * SVD of the whitened cross-covariance; both sides project onto the k leading canonical directions,
 * each scaled by its correlation to the given power.
 */
async function tuneCca(train: PairTrain, pa: Pca, pb: Pca, val: EvalSet): Promise<TunedBaseline> {
  const { a: da, b: db } = train.dims;
  const n = train.a.length / da;
  const cxy = zty(pa.z, pa.p, pb.z, pb.p);
  for (let i = 0; i < cxy.length; i++) cxy[i] = cxy[i]! / n;
  const meanOf = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
  const fit = (reg: number) => {
    const wx = Float64Array.from(pa.variance, (v) => 1 / Math.sqrt(v + reg * meanOf(pa.variance)));
    const wy = Float64Array.from(pb.variance, (v) => 1 / Math.sqrt(v + reg * meanOf(pb.variance)));
    const t = Float64Array.from(cxy, (v, idx) => v * wx[Math.floor(idx / pb.p)]! * wy[idx % pb.p]!);
    const s = svd(t, pa.p, pb.p);
    return { wx, wy, ...s };
  };
  const inComponents = (f: ReturnType<typeof fit>, k: number, power: number) => {
    // Pa = Q_a diag(wx) U_k diag(s^power), Pb likewise with V; these are the factors after Q.
    const ua = new Float64Array(pa.p * k);
    for (let i = 0; i < pa.p; i++) for (let j = 0; j < k; j++) ua[i * k + j] = f.wx[i]! * f.u[i * f.r + j]! * Math.max(f.s[j]!, 1e-12) ** power;
    const vb = new Float64Array(pb.p * k);
    for (let i = 0; i < pb.p; i++) for (let j = 0; j < k; j++) vb[i * k + j] = f.wy[i]! * f.v[i * f.r + j]! * Math.max(f.s[j]!, 1e-12) ** power;
    return { a: ua, b: vb };
  };
  const projections = (f: ReturnType<typeof fit>, k: number, power: number) => {
    const c = inComponents(f, k, power);
    return { a: matmul64(pa.q, c.a, da, pa.p, k), b: matmul64(pb.q, c.b, db, pb.p, k) };
  };
  const za = applyMatrix(val.aVecs, da, pa.q, pa.p);
  const zb = applyMatrix(val.bVecs, db, pb.q, pb.p);
  const mapsOf = (p: { a: Float64Array; b: Float64Array }, k: number): PairMaps => {
    const qa = linear(p.a, da, k);
    const qb = linear(p.b, db, k);
    return { aToB: { query: qa, gallery: qb, dim: k }, bToA: { query: qb, gallery: qa, dim: k } };
  };
  let best = { reg: CCA_REGS[0]!, k: 0, power: 1, score: -1 };
  for (const reg of CCA_REGS) {
    const f = fit(reg);
    for (const k of [...new Set(CCA_COMPONENTS.map((c) => Math.min(c, f.r)))]) {
      for (const power of CCA_POWERS) {
        const c = inComponents(f, k, power);
        const qa = applyMatrix(za, pa.p, c.a, k);
        const qb = applyMatrix(zb, pb.p, c.b, k);
        const maps: PairMaps = { aToB: { query: () => qa, gallery: () => qb, dim: k }, bToA: { query: () => qb, gallery: () => qa, dim: k } };
        const s = score(await recallOf(maps, val), val, da);
        if (s > best.score) best = { reg, k, power, score: s };
      }
    }
  }
  const p = projections(fit(best.reg), best.k, best.power);
  return { name: 'cca', maps: mapsOf(p, best.k), hyper: { reg: best.reg, components: best.k, power: best.power }, valScore: best.score, tensors: { 'a.w': f32([da, best.k], p.a), 'b.w': f32([db, best.k], p.b) } };
}

export const KNN_KS = [1, 2, 5, 10, 20, 50];
export const KNN_TEMPERATURES = [0, 0.05, 0.1];

/**
 * Nearest neighbours through the training pairs: a query becomes the weighted mean target of its k
 * nearest training sources (cosine); weights uniform (temperature 0) or softmax(sim / temperature).
 */
export function neighbourMap(sources: Float32Array, targets: Float32Array, ds: number, dt: number, k: number, temperature: number) {
  const anchors = normalizeRows(sources, ds);
  return async (q: Float32Array): Promise<Float32Array> => {
    const nq = q.length / ds;
    const top = await topKScored(normalizeRows(q, ds), anchors, ds, k);
    return mixTargets(top, nq, targets, dt, temperature);
  };
}

function mixTargets(top: { indices: Int32Array; scores: Float32Array; k: number }, nq: number, targets: Float32Array, dt: number, temperature: number, k = top.k): Float32Array {
  const out = new Float32Array(nq * dt);
  for (let r = 0; r < nq; r++) {
    const w = Array.from({ length: k }, (_, j) => (temperature > 0 ? Math.exp((top.scores[r * top.k + j]! - top.scores[r * top.k]!) / temperature) : 1));
    const total = w.reduce((s, x) => s + x, 0);
    for (let j = 0; j < k; j++) {
      const src = top.indices[r * top.k + j]!;
      const wj = w[j]! / total;
      for (let i = 0; i < dt; i++) out[r * dt + i] = out[r * dt + i]! + wj * targets[src * dt + i]!;
    }
  }
  return out;
}

async function tuneKnn(train: PairTrain, val: EvalSet): Promise<TunedBaseline> {
  const { a: da, b: db } = train.dims;
  const maxK = Math.min(Math.max(...KNN_KS), train.a.length / da);
  const na = normalizeRows(train.a, da);
  const nb = normalizeRows(train.b, db);
  const topA = await topKScored(normalizeRows(val.aVecs, da), na, da, maxK);
  const topB = await topKScored(normalizeRows(val.bVecs, db), nb, db, maxK);
  const nqa = val.aVecs.length / da;
  const nqb = val.bVecs.length / db;
  let best = { kab: 1, tab: 0, sab: -1, kba: 1, tba: 0, sba: -1 };
  for (const k0 of KNN_KS) {
    const k = Math.min(k0, maxK);
    for (const t of KNN_TEMPERATURES) {
      const fixed = (v: Float32Array) => () => v;
      const maps: PairMaps = {
        aToB: { query: fixed(mixTargets(topA, nqa, train.b, db, t, k)), gallery: identity, dim: db },
        bToA: { query: fixed(mixTargets(topB, nqb, train.a, da, t, k)), gallery: identity, dim: da },
      };
      const r = await recallOf(maps, val);
      if (meanRecall(r.forward) > best.sab) best = { ...best, kab: k, tab: t, sab: meanRecall(r.forward) };
      if (meanRecall(r.backward) > best.sba) best = { ...best, kba: k, tba: t, sba: meanRecall(r.backward) };
    }
  }
  const maps: PairMaps = {
    aToB: { query: neighbourMap(train.a, train.b, da, db, best.kab, best.tab), gallery: identity, dim: db },
    bToA: { query: neighbourMap(train.b, train.a, db, da, best.kba, best.tba), gallery: identity, dim: da },
  };
  return {
    name: 'knn',
    maps,
    hyper: { k_a2b: best.kab, temperature_a2b: best.tab, k_b2a: best.kba, temperature_b2a: best.tba },
    valScore: score(await recallOf(maps, val), val, da),
    tensors: { 'anchors.a': f32([train.a.length / da, da], train.a), 'anchors.b': f32([train.b.length / db, db], train.b) },
  };
}

export const ASIF_KS = [8, 32, 128];
export const ASIF_POWERS = [1, 3, 8];

/**
 * ASIF (Norelli et al. 2023): a vector becomes its similarities to the training anchors of its own
 * modality, only the k largest kept and raised to a power; the two modalities meet because anchor
 * i is a pair. Ranked by cosine of these relative vectors.
 */
export function relativeMap(anchors: Float32Array, d: number, k: number, power: number) {
  const unit = normalizeRows(anchors, d);
  const n = anchors.length / d;
  return async (x: Float32Array): Promise<Float32Array> => relative(await topKScored(normalizeRows(x, d), unit, d, k), x.length / d, n, power);
}

function relative(top: { indices: Int32Array; scores: Float32Array; k: number }, nq: number, n: number, power: number, k = top.k): Float32Array {
  const out = new Float32Array(nq * n);
  for (let r = 0; r < nq; r++) for (let j = 0; j < k; j++) out[r * n + top.indices[r * top.k + j]!] = Math.max(top.scores[r * top.k + j]!, 0) ** power;
  return out;
}

async function tuneAsif(train: PairTrain, val: EvalSet): Promise<TunedBaseline> {
  const { a: da, b: db } = train.dims;
  const n = train.a.length / da;
  const maxK = Math.min(Math.max(...ASIF_KS), n);
  const topA = await topKScored(normalizeRows(val.aVecs, da), normalizeRows(train.a, da), da, maxK);
  const topB = await topKScored(normalizeRows(val.bVecs, db), normalizeRows(train.b, db), db, maxK);
  const nqa = val.aVecs.length / da;
  const nqb = val.bVecs.length / db;
  let best = { k: 1, power: 1, score: -1 };
  for (const k0 of ASIF_KS) {
    const k = Math.min(k0, maxK);
    for (const power of ASIF_POWERS) {
      const ra = relative(topA, nqa, n, power, k);
      const rb = relative(topB, nqb, n, power, k);
      const maps: PairMaps = { aToB: { query: () => ra, gallery: () => rb, dim: n }, bToA: { query: () => rb, gallery: () => ra, dim: n } };
      const s = score(await recallOf(maps, val), val, da);
      if (s > best.score) best = { k, power, score: s };
    }
  }
  const qa = relativeMap(train.a, da, best.k, best.power);
  const qb = relativeMap(train.b, db, best.k, best.power);
  return {
    name: 'asif',
    maps: { aToB: { query: qa, gallery: qb, dim: n }, bToA: { query: qb, gallery: qa, dim: n } },
    hyper: { k: best.k, power: best.power },
    valScore: best.score,
    tensors: { 'anchors.a': f32([n, da], train.a), 'anchors.b': f32([n, db], train.b) },
  };
}

/** Every baseline, tuned on the (standardised) validation set. */
export async function tuneBaselines(train: PairTrain, val: EvalSet): Promise<TunedBaseline[]> {
  if (val.owner.length === 0) throw new Error('tuning the baselines needs validation pairs');
  const pa = await pca(train.a, train.dims.a);
  const pb = await pca(train.b, train.dims.b);
  return [await tuneRidge(train, pa, pb, val), await tuneCca(train, pa, pb, val), await tuneKnn(train, val), await tuneAsif(train, val)];
}
