// The k nearest neighbours of every row among the rows themselves (self excluded), by cosine on
// unit rows: what the map's layout and the near-duplicate finder both start from. Up to
// EXACT_LIMIT rows the answer is exact, from ONNX Runtime's blocked MatMul + TopK (the ranking the
// evaluation uses: 10k x 10k x 512 in 0.4 s here, where USearch's brute-force search took 10 s);
// above it USearch's HNSW graph answers, as an exact pass grows with the square of the rows.
import os from 'node:os';
import { topKScored } from './exact.ts';
import { buildHnsw } from './hnsw.ts';

/** Above this many rows the graph answers (recall@10 >= 0.95 at ef 128 on bench:search), not an exact pass. */
export const EXACT_LIMIT = 50_000;

export interface Neighbours {
  k: number;
  /** n * k row numbers, nearest first; -1 where fewer than k exist. */
  rows: Int32Array;
  /** n * k cosine similarities beside them. */
  sims: Float32Array;
}

export interface KnnOptions {
  /** Force brute force (true) or the graph (false); default by size. */
  exact?: boolean;
  threads?: number;
  /** Called with (done, total) rows while searching. */
  onProgress?: (done: number, total: number) => void;
}

const BLOCK = 4096;

/**
 * For queries q (unit rows, m * dim) the k nearest of `data` (n * dim). With `selfOffset` set,
 * query i is data row selfOffset + i and is left out of its own neighbours.
 */
export async function nearestOf(data: Float32Array, queries: Float32Array, dim: number, k: number, o: KnnOptions & { selfOffset?: number } = {}): Promise<Neighbours> {
  const n = data.length / dim;
  const m = queries.length / dim;
  const self = o.selfOffset !== undefined;
  const want = Math.min(k + (self ? 1 : 0), n);
  const threads = o.threads ?? Math.max(1, os.availableParallelism());
  const exact = o.exact ?? n <= EXACT_LIMIT;
  // A float32 graph: USearch's own distances are read as the cosines (near-duplicate thresholds need
  // them exact), where the int8 graph would need a re-rank per query.
  const graph = exact ? null : buildHnsw(data, dim, { threads, expansionSearch: Math.max(128, 2 * want), quantization: 'f32' });
  const rows = new Int32Array(m * k).fill(-1);
  const sims = new Float32Array(m * k);
  for (let start = 0; start < m; start += BLOCK) {
    const count = Math.min(BLOCK, m - start);
    const block = queries.subarray(start * dim, (start + count) * dim);
    const found = graph ? fromGraph(graph.index.search(block, want, threads), n) : await topKScored(block, data, dim, want);
    for (let q = 0; q < count; q++) {
      const me = self ? o.selfOffset! + start + q : -1;
      let out = 0;
      for (let j = 0; j < want && out < k; j++) {
        const row = found.indices[q * want + j]!;
        if (row < 0 || row === me) continue;
        rows[(start + q) * k + out] = row;
        sims[(start + q) * k + out] = found.scores[q * want + j]!;
        out++;
      }
    }
    o.onProgress?.(start + count, m);
  }
  return { k, rows, sims };
}

/** USearch's answer as row numbers and cosines (-1 where it padded a short answer with its max key). */
function fromGraph(m: { keys: BigUint64Array; distances: Float32Array }, n: number): { indices: Int32Array; scores: Float32Array } {
  const indices = new Int32Array(m.keys.length);
  const scores = new Float32Array(m.keys.length);
  for (let i = 0; i < m.keys.length; i++) {
    indices[i] = m.keys[i]! < BigInt(n) ? Number(m.keys[i]!) : -1;
    // Inner-product distance is 1 - dot.
    scores[i] = 1 - m.distances[i]!;
  }
  return { indices, scores };
}

/** Every row's k nearest other rows. */
export function selfNeighbours(unit: Float32Array, dim: number, k: number, o: KnnOptions = {}): Promise<Neighbours> {
  return nearestOf(unit, unit, dim, k, { ...o, selfOffset: 0 });
}
