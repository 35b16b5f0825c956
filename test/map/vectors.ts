import { mulberry32 } from '../../src-main/core/util/rng.ts';
import { normalizeRows } from '../../src-main/core/index/exact.ts';

/** n unit rows in `clusters` Gaussian clusters (row i in cluster i % clusters), seeded. */
export function clustered(n: number, dim: number, clusters: number, spread: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, gauss));
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) x[i * dim + j] = centres[i % clusters]![j]! + spread * gauss();
  return normalizeRows(x, dim);
}

/** Indices of each row's k nearest rows (self excluded) by a brute-force scan of `score`. */
export function bruteKnn(n: number, k: number, score: (i: number, j: number) => number): Int32Array[] {
  return Array.from({ length: n }, (_, i) => {
    const order = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
    order.sort((a, b) => score(i, b) - score(i, a));
    return Int32Array.from(order.slice(0, k));
  });
}
