// An inverted-file (IVF) index for approximate search in large catalogs: k-means centroids split
// the vectors into lists; a query scores the centroids, then only the vectors of the nprobe best
// lists (gathered and ranked by ONNX Runtime). Vectors are unit length, scores are cosines.
import fs from 'node:fs';
import { Graph } from '../onnx/graph.ts';
import * as op from '../onnx/ops.ts';
import { createSession, tensor, type Session } from '../onnx/runtime.ts';
import { topK, topKScored } from './exact.ts';
import { deriveSeed, mulberry32 } from '../util/rng.ts';
import { readSafetensors, writeSafetensors } from '../util/safetensors.ts';

export interface IvfOptions {
  lists: number;
  /** Vectors used to fit the centroids (default: min(n, 64 * lists)). */
  sample?: number;
  iterations?: number;
  seed?: number;
}

export interface IvfIndex {
  dim: number;
  centroids: Float32Array;
  /** Vectors reordered list by list; rows[offsets[l] .. offsets[l + 1]) belong to list l. */
  vectors: Float32Array;
  /** Original row of each reordered vector. */
  rows: Int32Array;
  offsets: Int32Array;
  /** 0..n-1 as int64, so a probe copies ranges instead of converting numbers. */
  positions: BigInt64Array;
}

/**
 * The list count the local store builds for n vectors: about 2·sqrt(n) (2000 at 1M), within
 * 16..4096. bench:ivf-nprobe measures recall per nprobe at this count.
 */
export function defaultListCount(n: number): number {
  return Math.min(4096, Math.max(16, Math.round(2 * Math.sqrt(n))));
}

/** k-means (spherical: centroids kept at unit length) with ONNX Runtime doing the assignment products. */
export async function buildIvf(vectors: Float32Array, dim: number, o: IvfOptions): Promise<IvfIndex> {
  const n = vectors.length / dim;
  const lists = Math.min(o.lists, n);
  const rand = mulberry32(deriveSeed(o.seed ?? 1, 7));
  const sampleSize = Math.min(n, o.sample ?? 64 * lists);
  // A random sample (partial Fisher-Yates over row numbers).
  const pick = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < sampleSize; i++) {
    const j = i + Math.floor(rand() * (n - i));
    [pick[i], pick[j]] = [pick[j]!, pick[i]!];
  }
  const sample = new Float32Array(sampleSize * dim);
  for (let i = 0; i < sampleSize; i++) sample.set(vectors.subarray(pick[i]! * dim, (pick[i]! + 1) * dim), i * dim);
  const centroids = sample.slice(0, lists * dim);
  for (let it = 0; it < (o.iterations ?? 8); it++) {
    const assign = await topK(sample, centroids, dim, 1);
    const sums = new Float64Array(lists * dim);
    const counts = new Int32Array(lists);
    for (let i = 0; i < sampleSize; i++) {
      const c = assign[i]!;
      counts[c]!++;
      for (let k = 0; k < dim; k++) sums[c * dim + k] = sums[c * dim + k]! + sample[i * dim + k]!;
    }
    for (let c = 0; c < lists; c++) {
      if (counts[c] === 0) {
        // An empty list restarts from a random sample vector.
        const r = Math.floor(rand() * sampleSize);
        centroids.set(sample.subarray(r * dim, (r + 1) * dim), c * dim);
        continue;
      }
      let norm = 0;
      for (let k = 0; k < dim; k++) norm += sums[c * dim + k]! ** 2;
      const inv = 1 / Math.sqrt(norm + 1e-12);
      for (let k = 0; k < dim; k++) centroids[c * dim + k] = sums[c * dim + k]! * inv;
    }
  }
  // Assign every vector, then lay the lists out contiguously.
  const assign = await topK(vectors, centroids, dim, 1);
  const counts = new Int32Array(lists + 1);
  for (let i = 0; i < n; i++) counts[assign[i]! + 1]!++;
  const offsets = new Int32Array(lists + 1);
  for (let c = 0; c < lists; c++) offsets[c + 1] = offsets[c]! + counts[c + 1]!;
  const fill = offsets.slice(0, lists);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[fill[assign[i]!]!++] = i;
  return assembleIvf(vectors, dim, centroids, rows, offsets);
}

/** An index from its lists (centroids, row order, offsets) and the vectors in their original order. */
export function assembleIvf(vectors: Float32Array, dim: number, centroids: Float32Array, rows: Int32Array, offsets: Int32Array): IvfIndex {
  const n = rows.length;
  if (vectors.length !== n * dim || offsets[offsets.length - 1] !== n) throw new Error('the IVF lists do not match the vectors');
  const ordered = new Float32Array(n * dim);
  for (let at = 0; at < n; at++) ordered.set(vectors.subarray(rows[at]! * dim, (rows[at]! + 1) * dim), at * dim);
  const positions = new BigInt64Array(n);
  for (let i = 0; i < n; i++) positions[i] = BigInt(i);
  return { dim, centroids, vectors: ordered, rows, offsets, positions };
}

/** Saves what is expensive to rebuild (the k-means lists), tagged with what it was built from. */
export function saveIvf(file: string, index: IvfIndex, stamp: string): void {
  const lists = index.offsets.length - 1;
  writeSafetensors(file, { centroids: { shape: [lists, index.dim], data: index.centroids }, rows: { shape: [index.rows.length], data: index.rows }, offsets: { shape: [lists + 1], data: index.offsets } }, { stamp, format: 'altmoe-ivf/1' });
}

/** Loads saved lists when they were built from the same vectors (same stamp), else null. */
export function loadIvf(file: string, vectors: Float32Array, dim: number, stamp: string): IvfIndex | null {
  if (!fs.existsSync(file)) return null;
  try {
    const { tensors, metadata } = readSafetensors(file);
    if (metadata.format !== 'altmoe-ivf/1' || metadata.stamp !== stamp) return null;
    return assembleIvf(vectors, dim, tensors.centroids!.data as Float32Array, tensors.rows!.data as Int32Array, tensors.offsets!.data as Int32Array);
  } catch {
    return null; // a damaged cache file is rebuilt
  }
}

const probeSessions = new Map<string, Promise<Session>>();

/** Gather candidate rows + score + top-k, in one ONNX Runtime call (one session per (dim, k)). */
function probeGraph(dim: number, k: number): Promise<Session> {
  const cached = probeSessions.get(`${dim}:${k}`);
  if (cached) return cached;
  const g = new Graph('ivf_probe', 'float32');
  const q = g.input('q', 'float32', [1, dim]);
  const all = g.input('vectors', 'float32', ['N', dim]);
  const rows = g.input('rows', 'int64', ['M']);
  const cand = op.gather(all, rows);
  const scores = op.reshape(op.matmul(q, op.transpose(cand, [1, 0])), [1, -1]);
  const [val, idx] = g.node('TopK', [scores, g.ints([k])], [{ dtype: 'float32', shape: [1, k] }, { dtype: 'int64', shape: [1, k] }], { axis: { i: -1 }, largest: { i: 1 }, sorted: { i: 1 } }, 'none');
  g.output(val!, 'val');
  g.output(idx!, 'idx');
  const session = createSession(g.toModel({ paramsAs: 'inputs' }));
  probeSessions.set(`${dim}:${k}`, session);
  return session;
}

/** The k best rows (original numbering) and scores for one unit-length query. */
export async function searchIvf(index: IvfIndex, query: Float32Array, k: number, nprobe: number): Promise<{ rows: Int32Array; scores: Float32Array }> {
  const lists = index.offsets.length - 1;
  const best = await topKScored(query, index.centroids, index.dim, Math.min(nprobe, lists));
  let m = 0;
  for (const l of best.indices) m += index.offsets[l + 1]! - index.offsets[l]!;
  const cand = new BigInt64Array(m);
  let at = 0;
  for (const l of best.indices) {
    cand.set(index.positions.subarray(index.offsets[l]!, index.offsets[l + 1]!), at);
    at += index.offsets[l + 1]! - index.offsets[l]!;
  }
  const kk = Math.min(k, m);
  if (kk === 0) return { rows: new Int32Array(0), scores: new Float32Array(0) };
  const s = await probeGraph(index.dim, kk);
  const out = await s.run({ q: tensor('float32', [1, index.dim], query), vectors: tensor('float32', [index.vectors.length / index.dim, index.dim], index.vectors), rows: tensor('int64', [m], cand) });
  const idx = out.idx!.data as BigInt64Array;
  const rows = Int32Array.from(idx, (i) => index.rows[Number(cand[Number(i)]!)]!);
  return { rows, scores: out.val!.data as Float32Array };
}
