// A 2-D layout of unit vectors: UMAP (umap-js, the PAIR team's port of McInnes' method) on at most
// `sample` rows, its neighbour graph computed by USearch instead of umap-js' own NN-descent (an
// order of magnitude faster and exact at this size); the other rows are then placed where their
// nearest sampled rows landed. That is what lets 100k items map in minutes: UMAP's cost grows with
// the rows it optimises, placement is one k-NN query per row.
import { UMAP } from 'umap-js';
import { mulberry32, permutation } from '../util/rng.ts';
import { nearestOf, selfNeighbours } from '../index/knn.ts';

export interface LayoutOptions {
  seed?: number;
  /** Most rows UMAP itself lays out (default 10,000); the rest are placed by their neighbours. */
  sample?: number;
  /** UMAP's neighbours (default 15). */
  neighbours?: number;
  /** UMAP's minimum distance between points (default 0.1). */
  minDist?: number;
  /** Optimisation epochs (default: umap-js' choice, 500 for small sets and 200 above 10k rows). */
  epochs?: number;
  threads?: number;
  onProgress?: (p: { phase: 'neighbours' | 'layout' | 'placing'; done: number; total: number }) => void;
  signal?: AbortSignal;
}

export const LAYOUT_DEFAULTS = { seed: 1, sample: 10_000, neighbours: 15, minDist: 0.1 };
/** Sampled rows each placed row is put among. */
const PLACE_K = 10;

/** n * 2 coordinates for n unit rows, scaled into [-1, 1] (the longer side spans it). */
export async function layout(unit: Float32Array, dim: number, o: LayoutOptions = {}): Promise<Float32Array> {
  const n = unit.length / dim;
  const seed = o.seed ?? LAYOUT_DEFAULTS.seed;
  const nNeighbors = Math.min(o.neighbours ?? LAYOUT_DEFAULTS.neighbours, Math.max(1, n - 2));
  const out = new Float32Array(n * 2);
  if (n <= 3) {
    // Too few for a neighbour graph: a line is as honest as anything.
    for (let i = 0; i < n; i++) out[i * 2] = n === 1 ? 0 : (2 * i) / (n - 1) - 1;
    return out;
  }
  const rand = mulberry32(seed);
  const sampleSize = Math.min(n, o.sample ?? LAYOUT_DEFAULTS.sample);
  // Sampled rows in ascending order, so the same rows give the same sample whatever came after.
  const sampled = sampleSize === n ? Int32Array.from({ length: n }, (_, i) => i) : Int32Array.from(permutation(n, rand).subarray(0, sampleSize)).sort();
  const sample = new Float32Array(sampleSize * dim);
  sampled.forEach((row, i) => sample.set(unit.subarray(row * dim, (row + 1) * dim), i * dim));

  o.onProgress?.({ phase: 'neighbours', done: 0, total: sampleSize });
  const knn = await selfNeighbours(sample, dim, nNeighbors, { ...(o.threads ? { threads: o.threads } : {}), onProgress: (done, total) => o.onProgress?.({ phase: 'neighbours', done, total }) });
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < sampleSize; i++) {
    const idx: number[] = [];
    const dist: number[] = [];
    for (let j = 0; j < nNeighbors; j++) {
      const r = knn.rows[i * nNeighbors + j]!;
      if (r < 0) continue;
      idx.push(r);
      // Euclidean distance between unit rows, from their cosine.
      dist.push(Math.sqrt(Math.max(0, 2 - 2 * knn.sims[i * nNeighbors + j]!)));
    }
    indices.push(idx);
    distances.push(dist);
  }
  const umap = new UMAP({ nComponents: 2, nNeighbors, minDist: o.minDist ?? LAYOUT_DEFAULTS.minDist, random: rand, ...(o.epochs ? { nEpochs: o.epochs } : {}) });
  umap.setPrecomputedKNN(indices, distances);
  // umap-js reads only the row count from X once the neighbours are given.
  const epochs = umap.initializeFit(Array.from({ length: sampleSize }, () => []));
  for (let e = 0; e < epochs; e++) {
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('cancelled');
    umap.step();
    if (e % 10 === 9 || e === epochs - 1) o.onProgress?.({ phase: 'layout', done: e + 1, total: epochs });
  }
  const embedded = umap.getEmbedding();
  sampled.forEach((row, i) => {
    out[row * 2] = embedded[i]![0]!;
    out[row * 2 + 1] = embedded[i]![1]!;
  });
  if (sampleSize < n) await placeRest(unit, dim, sampled, sample, out, rand, o);
  return scaleToUnitBox(out);
}

/** Puts each unsampled row at the similarity-weighted centre of its nearest sampled rows. */
async function placeRest(unit: Float32Array, dim: number, sampled: Int32Array, sample: Float32Array, out: Float32Array, rand: () => number, o: LayoutOptions): Promise<void> {
  const n = unit.length / dim;
  const inSample = new Uint8Array(n);
  for (const r of sampled) inSample[r] = 1;
  const rest = Int32Array.from({ length: n - sampled.length });
  for (let i = 0, j = 0; i < n; i++) if (!inSample[i]) rest[j++] = i;
  const queries = new Float32Array(rest.length * dim);
  rest.forEach((row, i) => queries.set(unit.subarray(row * dim, (row + 1) * dim), i * dim));
  const k = Math.min(PLACE_K, sampled.length);
  const nn = await nearestOf(sample, queries, dim, k, { ...(o.threads ? { threads: o.threads } : {}), onProgress: (done, total) => o.onProgress?.({ phase: 'placing', done, total }) });
  // The spread of the layout, for a jitter small against it (points at one spot would hide each other).
  const jitter = 0.002 * spread(out, sampled);
  rest.forEach((row, i) => {
    const best = nn.sims[i * k]!;
    let x = 0;
    let y = 0;
    let wsum = 0;
    for (let j = 0; j < k; j++) {
      const s = nn.rows[i * k + j]!;
      if (s < 0) continue;
      // Sharp weights: a row between two clusters goes to the nearer one, not the gap between them.
      const w = Math.exp(20 * (nn.sims[i * k + j]! - best));
      const at = sampled[s]!;
      x += w * out[at * 2]!;
      y += w * out[at * 2 + 1]!;
      wsum += w;
    }
    out[row * 2] = x / wsum + jitter * (rand() - 0.5);
    out[row * 2 + 1] = y / wsum + jitter * (rand() - 0.5);
  });
}

function spread(xy: Float32Array, rows: Int32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    lo = Math.min(lo, xy[r * 2]!, xy[r * 2 + 1]!);
    hi = Math.max(hi, xy[r * 2]!, xy[r * 2 + 1]!);
  }
  return hi - lo;
}

function scaleToUnitBox(xy: Float32Array): Float32Array {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < xy.length; i += 2) {
    minX = Math.min(minX, xy[i]!);
    maxX = Math.max(maxX, xy[i]!);
    minY = Math.min(minY, xy[i + 1]!);
    maxY = Math.max(maxY, xy[i + 1]!);
  }
  const half = Math.max(maxX - minX, maxY - minY) / 2 || 1;
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  for (let i = 0; i < xy.length; i += 2) {
    xy[i] = (xy[i]! - cx) / half;
    xy[i + 1] = (xy[i + 1]! - cy) / half;
  }
  return xy;
}
