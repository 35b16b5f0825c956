// Dense linear algebra for the closed-form baselines. Large products run in ONNX Runtime (float32
// MatMul, accumulated in float64 across row blocks); decompositions come from ml-matrix (a
// well-kept JS library), on matrices kept small enough for it: randomized range finding
// (Halko, Martinsson & Tropp 2011) reduces a wide covariance to its leading subspace first.
import { CholeskyDecomposition, EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { Graph } from '../onnx/graph.ts';
import * as op from '../onnx/ops.ts';
import { createSession, tensor, type Session } from '../onnx/runtime.ts';
import { mulberry32, normal } from '../util/rng.ts';

let gramSession: Promise<Session> | null = null;
let productSession: Promise<Session> | null = null;

function sessionFor(kind: 'gram' | 'product'): Promise<Session> {
  const g = new Graph(kind, 'float32');
  const x = g.input('x', 'float32', ['N', 'K']);
  const y = g.input('y', 'float32', kind === 'gram' ? ['N', 'M'] : ['K', 'M']);
  g.output(op.matmul(kind === 'gram' ? op.transpose(x, [1, 0]) : x, y), 'out');
  return createSession(g.toModel({ paramsAs: 'inputs' }));
}

/** X^T Y of row blocks [n, dx] and [n, dy], in float64 (blocks summed so long inputs keep precision). */
export async function crossProduct(x: Float32Array, dx: number, y: Float32Array, dy: number): Promise<Float64Array> {
  const s = await (gramSession ??= sessionFor('gram'));
  const n = x.length / dx;
  const out = new Float64Array(dx * dy);
  for (let start = 0; start < n; start += 4096) {
    const rows = Math.min(4096, n - start);
    const r = await s.run({ x: tensor('float32', [rows, dx], x.subarray(start * dx, (start + rows) * dx)), y: tensor('float32', [rows, dy], y.subarray(start * dy, (start + rows) * dy)) });
    const block = r.out!.data as Float32Array;
    for (let i = 0; i < block.length; i++) out[i] = out[i]! + block[i]!;
  }
  return out;
}

/** A [n, k] @ B [k, m] in float32 through ONNX Runtime. */
export async function product(a: Float32Array, n: number, k: number, b: Float32Array, m: number): Promise<Float32Array> {
  const s = await (productSession ??= sessionFor('product'));
  const r = await s.run({ x: tensor('float32', [n, k], a), y: tensor('float32', [k, m], b) });
  return r.out!.data as Float32Array;
}

/** Eigen-decomposition of a symmetric matrix: values in descending order, vectors as columns [n, n]. */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const e = new EigenvalueDecomposition(toMatrix(a, n, n), { assumeSymmetric: true });
  const vals = e.realEigenvalues;
  const vecs = e.eigenvectorMatrix;
  const order = vals.map((_, i) => i).sort((p, q) => vals[q]! - vals[p]!);
  const values = Float64Array.from(order, (i) => vals[i]!);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) order.forEach((c, j) => (vectors[r * n + j] = vecs.get(r, c)));
  return { values, vectors };
}

/** Largest sizes a full eigen-decomposition is used for (ml-matrix takes ~0.5 s at 256, ~20 s at 1280). */
export const FULL_EIGEN_MAX = 384;

/**
 * The p leading eigenpairs of a symmetric positive semi-definite matrix [n, n]: exact for small n,
 * else by a randomized range finder with power iterations (accurate for the leading part of the
 * spectrum, which is all the baselines keep).
 */
export async function leadingEigen(c: Float64Array, n: number, p: number, seed = 1): Promise<{ values: Float64Array; vectors: Float64Array; k: number }> {
  if (n <= FULL_EIGEN_MAX || p >= n) {
    const { values, vectors } = symmetricEigen(c, n);
    const k = Math.min(p, n);
    return { values: values.slice(0, k), vectors: columns(vectors, n, n, k), k };
  }
  const l = Math.min(n, p + 16);
  const rand = mulberry32(seed);
  const c32 = Float32Array.from(c);
  let q: Float32Array = Float32Array.from({ length: n * l }, () => normal(rand));
  for (let it = 0; it < 3; it++) q = orthonormal(await product(c32, n, n, q, l), n, l);
  // Rayleigh-Ritz on the subspace: B = Q^T C Q, small and exact.
  const cq = await product(c32, n, n, q, l);
  const b = new Float64Array(l * l);
  for (let i = 0; i < l; i++) for (let j = 0; j < l; j++) {
    let s = 0;
    for (let r = 0; r < n; r++) s += q[r * l + i]! * cq[r * l + j]!;
    b[i * l + j] = s;
  }
  for (let i = 0; i < l; i++) for (let j = 0; j < i; j++) b[i * l + j] = b[j * l + i] = (b[i * l + j]! + b[j * l + i]!) / 2;
  const small = symmetricEigen(b, l);
  const k = Math.min(p, l);
  const vectors = new Float64Array(n * k);
  for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) {
    let s = 0;
    for (let i = 0; i < l; i++) s += q[r * l + i]! * small.vectors[i * l + j]!;
    vectors[r * k + j] = s;
  }
  return { values: small.values.slice(0, k), vectors, k };
}

/**
 * An orthonormal basis of the columns of y [n, l] (n >= l), by Gram-Schmidt run twice per column
 * (as accurate as Householder QR for the range finder's few dozen columns). ml-matrix's QR built its
 * Q through per-element calls and took most of a small run's ensemble fit (2.8 s of 4.9 s on the demo).
 * A column that is (numerically) in the span of the earlier ones comes out zero.
 */
function orthonormal(y: Float32Array, n: number, l: number): Float32Array {
  const cols = Array.from({ length: l }, (_, j) => Float64Array.from({ length: n }, (_, r) => y[r * l + j]!));
  for (let j = 0; j < l; j++) {
    const v = cols[j]!;
    const before = Math.sqrt(dot(v, v));
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const q = cols[i]!;
        const r = dot(q, v);
        for (let k = 0; k < n; k++) v[k]! -= r * q[k]!;
      }
    }
    const norm = Math.sqrt(dot(v, v));
    const scale = norm > 1e-10 * before && norm > 0 ? 1 / norm : 0;
    for (let k = 0; k < n; k++) v[k]! *= scale;
  }
  const out = new Float32Array(n * l);
  for (let j = 0; j < l; j++) {
    const q = cols[j]!;
    for (let r = 0; r < n; r++) out[r * l + j] = q[r]!;
  }
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

/** Singular value decomposition of a [n, m] matrix: U [n, r], s [r], V [m, r] with r = min(n, m), descending. */
export function svd(a: Float64Array, n: number, m: number): { u: Float64Array; s: Float64Array; v: Float64Array; r: number } {
  // ml-matrix's SVD wants rows >= columns; transpose otherwise and swap the factors.
  if (n < m) {
    const t = svd(transpose(a, n, m), m, n);
    return { u: t.v, s: t.s, v: t.u, r: t.r };
  }
  const res = new SingularValueDecomposition(toMatrix(a, n, m), { autoTranspose: false });
  const r = m;
  const u = new Float64Array(n * r);
  const v = new Float64Array(m * r);
  const U = res.leftSingularVectors;
  const V = res.rightSingularVectors;
  for (let i = 0; i < n; i++) for (let j = 0; j < r; j++) u[i * r + j] = U.get(i, j);
  for (let i = 0; i < m; i++) for (let j = 0; j < r; j++) v[i * r + j] = V.get(i, j);
  return { u, s: Float64Array.from(res.diagonal.slice(0, r)), v, r };
}

/** Solves (A + lambda I) W = B for symmetric positive semi-definite A [d, d], B [d, m] (float64). */
export function ridgeSolve(a: Float64Array, b: Float64Array, d: number, m: number, lambda: number): Float64Array {
  const reg = toMatrix(a, d, d);
  for (let i = 0; i < d; i++) reg.set(i, i, reg.get(i, i) + lambda);
  const w = new CholeskyDecomposition(reg).solve(toMatrix(b, d, m));
  const out = new Float64Array(d * m);
  for (let i = 0; i < d; i++) for (let j = 0; j < m; j++) out[i * m + j] = w.get(i, j);
  return out;
}

function toMatrix(a: ArrayLike<number>, n: number, m: number): Matrix {
  const mat = new Matrix(n, m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) mat.set(i, j, a[i * m + j]!);
  return mat;
}

export function transpose(a: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = a[i * m + j]!;
  return out;
}

/** The first k columns of a [n, m] matrix. */
export function columns(a: Float64Array, n: number, m: number, k: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) out[i * k + j] = a[i * m + j]!;
  return out;
}

/** A [n, k] @ B [k, m] for small matrices, into a new array of the given type (zero rows of A skipped). */
function rowsTimes<T extends Float32Array | Float64Array>(a: ArrayLike<number>, b: Float64Array, n: number, k: number, m: number, out: T): T {
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < k; l++) {
      const x = a[i * k + l]!;
      if (x === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] = out[i * m + j]! + x * b[l * m + j]!;
    }
  }
  return out;
}

/** A [n, k] @ B [k, m] in float64. */
export function matmul64(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  return rowsTimes(a, b, n, k, m, new Float64Array(n * m));
}

/** Float32 rows x [n, d] times a float64 matrix w [d, k], in float32. */
export function applyMatrix(x: Float32Array, d: number, w: Float64Array, k: number): Float32Array {
  return rowsTimes(x, w, x.length / d, d, k, new Float32Array((x.length / d) * k));
}
