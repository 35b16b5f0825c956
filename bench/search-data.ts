// Vectors and queries for `npm run bench:search` (d=768, unit length).
//
// Two catalogs. `topics` (the default) is built to have the structure real embedding sets have and
// the first generator lacked: a hierarchy (200 topics of 50 sub-topics each), very uneven sizes
// (Zipf-like over topics and over the sub-topics of each), and an anisotropic spread (per-axis noise
// variances falling off as a power law, as an encoder's spectrum does). Nothing in it lines up with
// an index's partition, so an IVF index cannot find a point's neighbours by probing one list.
// `clusters` is the first generator (1000 equal, isotropic clusters): there each cluster nearly
// filled one of FAISS's 1024 IVF lists at 100k, and IVF-flat reached recall 0.96 probing one list.
import { applyMatrix, crossProduct, ridgeSolve } from '../src-main/core/model/linalg.ts';
import { normalizeRows } from '../src-main/core/index/exact.ts';
import { normal } from '../src-main/core/util/rng.ts';

export const D = 768;
export type Generator = 'topics' | 'clusters';

/** An index drawn with probability proportional to 1 / (rank + offset). */
function zipfPicker(count: number, offset: number, rand: () => number): () => number {
  const cdf = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) cdf[i] = total += 1 / (i + offset);
  return () => {
    const u = rand() * total;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function topics(n: number, rand: () => number): Float32Array {
  const TOPICS = 200;
  const SUBS = 50;
  const topic = Float32Array.from({ length: TOPICS * D }, () => normal(rand));
  const sub = Float32Array.from({ length: TOPICS * SUBS * D }, () => normal(rand));
  // Noise variance per axis ~ (k + 10)^-0.7, scaled to a mean of 1.5 (the signal has 0.36 + 0.64 = 1).
  const raw = Float64Array.from({ length: D }, (_, k) => (k + 10) ** -0.7);
  const mean = raw.reduce((a, b) => a + b, 0) / D;
  const sd = Float32Array.from(raw, (v) => Math.sqrt((1.5 * v) / mean));
  // Axes in a random order, so the spectrum is not sorted along the vector.
  for (let k = D - 1; k > 0; k--) {
    const j = Math.floor(rand() * (k + 1));
    [sd[k], sd[j]] = [sd[j]!, sd[k]!];
  }
  const pickTopic = zipfPicker(TOPICS, 5, rand);
  const pickSub = zipfPicker(SUBS, 2, rand);
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const t = pickTopic();
    const s = t * SUBS + pickSub();
    const o = i * D;
    for (let k = 0; k < D; k++) x[o + k] = 0.6 * topic[t * D + k]! + 0.8 * sub[s * D + k]! + sd[k]! * normal(rand);
  }
  return normalizeRows(x, D);
}

/** n unit vectors around 1000 random centres (noise 1.5: clusters overlap). */
function clusters(n: number, rand: () => number): Float32Array {
  const count = 1000;
  const centres = Float32Array.from({ length: count * D }, () => normal(rand));
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * count);
    for (let k = 0; k < D; k++) x[i * D + k] = centres[c * D + k]! + 1.5 * normal(rand);
  }
  return normalizeRows(x, D);
}

export function generate(kind: Generator, n: number, rand: () => number): Float32Array {
  return kind === 'topics' ? topics(n, rand) : clusters(n, rand);
}

/** Catalog vectors, slightly perturbed ("more like this"). */
export function inDistQueries(x: Float32Array, n: number, count: number, rand: () => number): Float32Array {
  const q = new Float32Array(count * D);
  for (let i = 0; i < count; i++) {
    const src = Math.floor(rand() * n);
    for (let k = 0; k < D; k++) q[i * D + k] = x[src * D + k]! + 0.02 * normal(rand);
  }
  return normalizeRows(q, D);
}

/**
 * Queries from another space: "captions" t = tanh(1.5 A x) + noise (d=384) of indexed items, a
 * ridge map t -> x fitted on 4,000 pairs, applied to the captions of other items. Like a
 * connector's output, the mapped vectors are shrunk towards the mean and lie off the data.
 */
export async function crossModalQueries(x: Float32Array, n: number, count: number, rand: () => number): Promise<Float32Array> {
  const dt = 384;
  const a = Float32Array.from({ length: D * dt }, () => normal(rand) / Math.sqrt(D));
  const caption = (row: number): Float32Array => {
    const t = new Float32Array(dt);
    for (let j = 0; j < dt; j++) {
      let s = 0;
      for (let k = 0; k < D; k++) s += x[row * D + k]! * a[k * dt + j]!;
      t[j] = Math.tanh((1.5 * s * Math.sqrt(D)) / 4) + 0.2 * normal(rand);
    }
    return t;
  };
  const pairs = 4000;
  const rows = Array.from({ length: pairs + count }, () => Math.floor(rand() * n));
  const t = new Float32Array(pairs * dt);
  const y = new Float32Array(pairs * D);
  for (let i = 0; i < pairs; i++) {
    t.set(caption(rows[i]!), i * dt);
    y.set(x.subarray(rows[i]! * D, (rows[i]! + 1) * D), i * D);
  }
  const tt = await crossProduct(t, dt, t, dt);
  const ty = await crossProduct(t, dt, y, D);
  let trace = 0;
  for (let i = 0; i < dt; i++) trace += tt[i * dt + i]!;
  const w = ridgeSolve(tt, ty, dt, D, (1e-2 * trace) / dt);
  const tq = new Float32Array(count * dt);
  for (let i = 0; i < count; i++) tq.set(caption(rows[pairs + i]!), i * dt);
  return normalizeRows(applyMatrix(tq, dt, w, D), D);
}
