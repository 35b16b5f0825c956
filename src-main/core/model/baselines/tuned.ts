// The training-free baselines, each with its hyper-parameters chosen where folds.ts says (the val
// split, plus held-out folds of the training pairs when val is small): ridge maps (lambda), nearest
// neighbours through the training pairs (k, weighting), regularised CCA (regulariser, components,
// scaling) and ASIF-style relative representations (anchors kept, sharpening). All work in the
// spaces standardised with training statistics, at any width: wide inputs are reduced to their
// leading principal components first (pca.ts).
import { applyMatrix, matmul64, svd } from '../linalg.ts';
import type { EvalSet } from '../eval-set.ts';
import { type CrossModalResult } from '../retrieval.ts';
import { normalizeRows, topKScored } from '../../index/exact.ts';
import { addScores, argmax, scoringSets, type PairTrain, type ScoringSet } from './folds.ts';
import { identity, recallOf, type PairMaps } from './maps.ts';
import type { Pca } from './pca.ts';
import { meanRecall, microScore } from './recall.ts';

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

const mediaCount = (set: EvalSet, da: number): number => set.aVecs.length / da;
const queries = (set: EvalSet, da: number): number => mediaCount(set, da) + set.owner.length;
const score = (r: CrossModalResult, set: EvalSet, da: number): number => microScore([{ result: r, media: mediaCount(set, da), captions: set.owner.length }]);

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

async function tuneRidge(sets: ScoringSet[]): Promise<TunedBaseline> {
  const { a: da, b: db } = sets[0]!.train.dims;
  const total = { ab: new Float64Array(RIDGE_ALPHAS.length), ba: new Float64Array(RIDGE_ALPHAS.length) };
  const products = sets.map(({ train, pa, pb }) => ({ zab: zty(pa.z, pa.p, train.b, db), zba: zty(pb.z, pb.p, train.a, da) }));
  for (const [i, { train, pa, pb, set }] of sets.entries()) {
    const n = train.a.length / da;
    const { zab, zba } = products[i]!;
    // Candidates are scored in component coordinates (the same maps, cheaper); each direction has its
    // own matrix, so its lambda is chosen on its own queries.
    const za = applyMatrix(set.aVecs, da, pa.q, pa.p);
    const zb = applyMatrix(set.bVecs, db, pb.q, pb.p);
    const fixedSet = { ...set, aVecs: za, bVecs: zb };
    const forward: number[] = [];
    const backward: number[] = [];
    for (const alpha of RIDGE_ALPHAS) {
      const qa = applyMatrix(za, pa.p, ridgeWeights(pa, zab, db, n, alpha), db);
      const qb = applyMatrix(zb, pb.p, ridgeWeights(pb, zba, da, n, alpha), da);
      const r = await recallOf({ aToB: { query: () => qa, gallery: () => set.bVecs, dim: db }, bToA: { query: () => qb, gallery: () => set.aVecs, dim: da } }, fixedSet);
      forward.push(meanRecall(r.forward));
      backward.push(meanRecall(r.backward));
    }
    addScores(total.ab, forward, mediaCount(set, da));
    addScores(total.ba, backward, set.owner.length);
  }
  const [ab, ba] = [RIDGE_ALPHAS[argmax(total.ab)]!, RIDGE_ALPHAS[argmax(total.ba)]!];
  const { train, pa, pb, set: val } = sets[0]!;
  const n = train.a.length / da;
  const wab = matmul64(pa.q, ridgeWeights(pa, products[0]!.zab, db, n, ab), da, pa.p, db);
  const wba = matmul64(pb.q, ridgeWeights(pb, products[0]!.zba, da, n, ba), db, pb.p, da);
  const maps: PairMaps = { aToB: { query: linear(wab, da, db), gallery: identity, dim: db }, bToA: { query: linear(wba, db, da), gallery: identity, dim: da } };
  return { name: 'ridge', maps, hyper: { alpha_a2b: ab, alpha_b2a: ba }, valScore: score(await recallOf(maps, val), val, da), tensors: { 'a2b.w': f32([da, db], wab), 'b2a.w': f32([db, da], wba) } };
}

export const CCA_REGS = [1e-3, 1e-2, 0.03, 0.1, 0.3, 1];
export const CCA_COMPONENTS = [16, 32, 64, 128, 256];
export const CCA_POWERS = [0, 0.5, 1];

/**
 * Regularised CCA on the principal components: whiten each side (variance + reg * mean variance),
 * SVD of the whitened cross-covariance; both sides project onto the k leading canonical directions,
 * each scaled by its correlation to the given power.
 */
function ccaOn(train: PairTrain, pa: Pca, pb: Pca) {
  const n = train.a.length / train.dims.a;
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
  /** Pa = Q_a diag(wx) U_k diag(s^power), Pb likewise with V: the factors after Q. */
  const inComponents = (f: ReturnType<typeof fit>, k: number, power: number) => {
    const ua = new Float64Array(pa.p * k);
    for (let i = 0; i < pa.p; i++) for (let j = 0; j < k; j++) ua[i * k + j] = f.wx[i]! * f.u[i * f.r + j]! * Math.max(f.s[j]!, 1e-12) ** power;
    const vb = new Float64Array(pb.p * k);
    for (let i = 0; i < pb.p; i++) for (let j = 0; j < k; j++) vb[i * k + j] = f.wy[i]! * f.v[i * f.r + j]! * Math.max(f.s[j]!, 1e-12) ** power;
    return { a: ua, b: vb };
  };
  return { fit, inComponents };
}

type CcaFit = ReturnType<ReturnType<typeof ccaOn>['fit']>;

const CCA_CANDIDATES = CCA_REGS.flatMap((reg) => CCA_COMPONENTS.flatMap((components) => CCA_POWERS.map((power) => ({ reg, components, power }))));

async function tuneCca(sets: ScoringSet[]): Promise<TunedBaseline> {
  const { a: da, b: db } = sets[0]!.train.dims;
  const total = new Float64Array(CCA_CANDIDATES.length);
  // The decompositions on all training pairs (the first set), kept for the chosen setting.
  const full = { cca: ccaOn(sets[0]!.train, sets[0]!.pa, sets[0]!.pb), fits: new Map<number, CcaFit>() };
  for (const [i, { train, pa, pb, set }] of sets.entries()) {
    const cca = i === 0 ? full.cca : ccaOn(train, pa, pb);
    const za = applyMatrix(set.aVecs, da, pa.q, pa.p);
    const zb = applyMatrix(set.bVecs, db, pb.q, pb.p);
    const scores: number[] = [];
    for (const reg of CCA_REGS) {
      const f = cca.fit(reg);
      if (i === 0) full.fits.set(reg, f);
      // Widths above the rank give the rank's projection: scored once, the same score for each.
      const byWidth = new Map<string, number>();
      for (const c of CCA_CANDIDATES.filter((x) => x.reg === reg)) {
        const k = Math.min(c.components, f.r);
        const key = `${k} ${c.power}`;
        if (!byWidth.has(key)) {
          const p = cca.inComponents(f, k, c.power);
          const qa = applyMatrix(za, pa.p, p.a, k);
          const qb = applyMatrix(zb, pb.p, p.b, k);
          byWidth.set(key, score(await recallOf({ aToB: { query: () => qa, gallery: () => qb, dim: k }, bToA: { query: () => qb, gallery: () => qa, dim: k } }, set), set, da));
        }
        scores.push(byWidth.get(key)!);
      }
    }
    addScores(total, scores, queries(set, da));
  }
  const { pa, pb, set: val } = sets[0]!;
  const chosen = CCA_CANDIDATES[argmax(total)]!;
  const f = full.fits.get(chosen.reg)!;
  const k = Math.min(chosen.components, f.r);
  const c = full.cca.inComponents(f, k, chosen.power);
  const [wa, wb] = [matmul64(pa.q, c.a, da, pa.p, k), matmul64(pb.q, c.b, db, pb.p, k)];
  const [qa, qb] = [linear(wa, da, k), linear(wb, db, k)];
  const maps: PairMaps = { aToB: { query: qa, gallery: qb, dim: k }, bToA: { query: qb, gallery: qa, dim: k } };
  return {
    name: 'cca',
    maps,
    hyper: { reg: chosen.reg, components: k, power: chosen.power },
    valScore: score(await recallOf(maps, val), val, da),
    tensors: { 'a.w': f32([da, k], wa), 'b.w': f32([db, k], wb) },
  };
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

const KNN_CANDIDATES = KNN_KS.flatMap((k) => KNN_TEMPERATURES.map((temperature) => ({ k, temperature })));

async function tuneKnn(sets: ScoringSet[]): Promise<TunedBaseline> {
  const { a: da, b: db } = sets[0]!.train.dims;
  const total = { ab: new Float64Array(KNN_CANDIDATES.length), ba: new Float64Array(KNN_CANDIDATES.length) };
  for (const { train, set } of sets) {
    const maxK = Math.min(Math.max(...KNN_KS), train.a.length / da);
    const topA = await topKScored(normalizeRows(set.aVecs, da), normalizeRows(train.a, da), da, maxK);
    const topB = await topKScored(normalizeRows(set.bVecs, db), normalizeRows(train.b, db), db, maxK);
    const [nqa, nqb] = [set.aVecs.length / da, set.bVecs.length / db];
    const forward: number[] = [];
    const backward: number[] = [];
    for (const c of KNN_CANDIDATES) {
      const k = Math.min(c.k, maxK);
      const fixed = (v: Float32Array) => () => v;
      const maps: PairMaps = {
        aToB: { query: fixed(mixTargets(topA, nqa, train.b, db, c.temperature, k)), gallery: identity, dim: db },
        bToA: { query: fixed(mixTargets(topB, nqb, train.a, da, c.temperature, k)), gallery: identity, dim: da },
      };
      const r = await recallOf(maps, set);
      forward.push(meanRecall(r.forward));
      backward.push(meanRecall(r.backward));
    }
    addScores(total.ab, forward, nqa);
    addScores(total.ba, backward, nqb);
  }
  const { train, set: val } = sets[0]!;
  const maxK = Math.min(Math.max(...KNN_KS), train.a.length / da);
  const [ab, ba] = [KNN_CANDIDATES[argmax(total.ab)]!, KNN_CANDIDATES[argmax(total.ba)]!];
  const [kab, kba] = [Math.min(ab.k, maxK), Math.min(ba.k, maxK)];
  const maps: PairMaps = {
    aToB: { query: neighbourMap(train.a, train.b, da, db, kab, ab.temperature), gallery: identity, dim: db },
    bToA: { query: neighbourMap(train.b, train.a, db, da, kba, ba.temperature), gallery: identity, dim: da },
  };
  return {
    name: 'knn',
    maps,
    hyper: { k_a2b: kab, temperature_a2b: ab.temperature, k_b2a: kba, temperature_b2a: ba.temperature },
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

const ASIF_CANDIDATES = ASIF_KS.flatMap((k) => ASIF_POWERS.map((power) => ({ k, power })));

async function tuneAsif(sets: ScoringSet[]): Promise<TunedBaseline> {
  const { a: da, b: db } = sets[0]!.train.dims;
  const total = new Float64Array(ASIF_CANDIDATES.length);
  for (const { train, set } of sets) {
    const n = train.a.length / da;
    const maxK = Math.min(Math.max(...ASIF_KS), n);
    const topA = await topKScored(normalizeRows(set.aVecs, da), normalizeRows(train.a, da), da, maxK);
    const topB = await topKScored(normalizeRows(set.bVecs, db), normalizeRows(train.b, db), db, maxK);
    const [nqa, nqb] = [set.aVecs.length / da, set.bVecs.length / db];
    const scores: number[] = [];
    for (const c of ASIF_CANDIDATES) {
      const k = Math.min(c.k, maxK);
      const ra = relative(topA, nqa, n, c.power, k);
      const rb = relative(topB, nqb, n, c.power, k);
      scores.push(score(await recallOf({ aToB: { query: () => ra, gallery: () => rb, dim: n }, bToA: { query: () => rb, gallery: () => ra, dim: n } }, set), set, da));
    }
    addScores(total, scores, queries(set, da));
  }
  const { train, set: val } = sets[0]!;
  const n = train.a.length / da;
  const chosen = ASIF_CANDIDATES[argmax(total)]!;
  const k = Math.min(chosen.k, n);
  const qa = relativeMap(train.a, da, k, chosen.power);
  const qb = relativeMap(train.b, db, k, chosen.power);
  const maps: PairMaps = { aToB: { query: qa, gallery: qb, dim: n }, bToA: { query: qb, gallery: qa, dim: n } };
  return {
    name: 'asif',
    maps,
    hyper: { k, power: chosen.power },
    valScore: score(await recallOf(maps, val), val, da),
    tensors: { 'anchors.a': f32([n, da], train.a), 'anchors.b': f32([n, db], train.b) },
  };
}

/**
 * Every baseline, its settings chosen on the (standardised) validation set, and with fewer than
 * FEW_VAL_ITEMS val media items on held-out folds of the training pairs as well (folds.ts).
 */
export async function tuneBaselines(train: PairTrain, val: EvalSet): Promise<TunedBaseline[]> {
  if (val.owner.length === 0) throw new Error('tuning the baselines needs validation pairs');
  const sets = await scoringSets(train, val);
  return [await tuneRidge(sets), await tuneCca(sets), await tuneKnn(sets), await tuneAsif(sets)];
}
