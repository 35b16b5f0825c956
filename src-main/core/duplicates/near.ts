// Near-duplicate links: every pair of unit rows with cosine similarity >= a threshold. Starts from
// each row's few nearest neighbours and widens the search for rows whose last neighbour still
// clears the threshold, so a large cluster of copies is found whole, not only its first k.
import { nearestOf, selfNeighbours, type KnnOptions } from '../index/knn.ts';
import type { Link } from './groups.ts';

const FIRST_K = 16;

/** Links (row numbers) between rows at or above `threshold`, each pair once (a < b). */
export async function nearLinks(unit: Float32Array, dim: number, threshold: number, o: KnnOptions = {}): Promise<Omit<Link, 'exact'>[]> {
  const n = unit.length / dim;
  if (n < 2) return [];
  const seen = new Set<number>();
  const links: Omit<Link, 'exact'>[] = [];
  const take = (row: number, rows: Int32Array, sims: Float32Array, from: number, k: number): boolean => {
    for (let j = 0; j < k; j++) {
      const other = rows[from + j]!;
      const s = sims[from + j]!;
      if (other < 0 || s < threshold) return false;
      const a = Math.min(row, other);
      const b = Math.max(row, other);
      // a * n + b is exact below 2^53: fine for any catalog this runs on.
      const key = a * n + b;
      if (!seen.has(key)) {
        seen.add(key);
        links.push({ a, b, sim: Math.min(1, s) });
      }
    }
    return true;
  };
  let k = Math.min(FIRST_K, n - 1);
  const first = await selfNeighbours(unit, dim, k, o);
  let open: number[] = [];
  for (let i = 0; i < n; i++) if (take(i, first.rows, first.sims, i * k, k)) open.push(i);
  // Rows whose every neighbour so far cleared the threshold may have more: ask again with a wider k.
  while (open.length > 0 && k < n - 1) {
    k = Math.min(n - 1, k * 4);
    const queries = new Float32Array(open.length * dim);
    open.forEach((row, i) => queries.set(unit.subarray(row * dim, (row + 1) * dim), i * dim));
    const { onProgress: _quiet, ...quiet } = o;
    const again = await nearestOf(unit, queries, dim, k + 1, quiet);
    const still: number[] = [];
    open.forEach((row, i) => {
      // The row itself is among its own k + 1 nearest: leave it out.
      const from = i * (k + 1);
      const rows = again.rows.subarray(from, from + k + 1);
      const sims = again.sims.subarray(from, from + k + 1);
      const kept = Int32Array.from(rows).map((r) => (r === row ? -2 : r));
      const r2: number[] = [];
      const s2: number[] = [];
      kept.forEach((r, j) => {
        if (r !== -2) {
          r2.push(r);
          s2.push(sims[j]!);
        }
      });
      if (take(row, Int32Array.from(r2), Float32Array.from(s2), 0, r2.length)) still.push(row);
    });
    open = still;
  }
  return links;
}
