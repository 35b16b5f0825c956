// Principal components of standardised training rows: the coordinates ridge and CCA are fitted in
// (exact below FULL_EIGEN_MAX; from the Gram matrix when there are fewer rows than dimensions).
import { columns, crossProduct, leadingEigen, matmul64 } from '../linalg.ts';

/** Principal components kept per modality (all of them for narrower inputs). */
export const PCA_COMPONENTS = 256;

export interface Pca {
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

/**
 * The principal components of some of the rows a PCA was made from, within that PCA's span: the
 * eigen-decomposition of their p x p covariance in its coordinates. Held-out folds of the training
 * pairs (folds.ts) fit their baselines on this instead of a PCA of their own: the same coordinates
 * rotated, in a fraction of the time (a p x p eigenproblem instead of one of the rows' size). The
 * span was found from every training item's vectors, the held-out ones too, but never from their
 * pairing.
 */
export async function pcaWithin(parent: Pca, rows: readonly number[]): Promise<Pca> {
  const { p } = parent;
  const n = rows.length;
  const sub = new Float64Array(n * p);
  rows.forEach((r, i) => sub.set(parent.z.subarray(r * p, (r + 1) * p), i * p));
  const c = new Float64Array(p * p);
  for (let r = 0; r < n; r++) for (let i = 0; i < p; i++) {
    const v = sub[r * p + i]!;
    if (v === 0) continue;
    for (let j = i; j < p; j++) c[i * p + j] = c[i * p + j]! + v * sub[r * p + j]!;
  }
  for (let i = 0; i < p; i++) for (let j = i; j < p; j++) c[j * p + i] = c[i * p + j] = c[i * p + j]! / n;
  const e = await leadingEigen(c, p, p);
  const top = e.values[0] ?? 0;
  let k = 0;
  while (k < e.k && e.values[k]! > 1e-9 * top) k++;
  const rotation = columns(e.vectors, p, e.k, k);
  return { q: matmul64(parent.q, rotation, parent.q.length / p, p, k), variance: Float64Array.from(e.values.subarray(0, k)), p: k, z: matmul64(sub, rotation, n, p, k) };
}
