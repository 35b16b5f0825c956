// Canonical correlation analysis, the classic training-free baseline for cross-modal retrieval:
// linear projections of both modalities into a shared space where they correlate most.

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi, float64): values and column eigenvectors. */
export function symmetricEigen(a: Float64Array, n: number, sweeps = 30): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => m[i * n + i]!), vectors: v };
}

function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < k; l++) {
      const x = a[i * k + l]!;
      if (x === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] = out[i * m + j]! + x * b[l * m + j]!;
    }
  }
  return out;
}

function transpose(a: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = a[i * m + j]!;
  return out;
}

/** C^(-1/2) of a symmetric positive definite matrix. */
function inverseSqrt(c: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(c, n);
  const scaled = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scaled[i * n + j] = vectors[i * n + j]! / Math.sqrt(Math.max(values[j]!, 1e-12));
  return matmul(scaled, transpose(vectors, n, n), n, n, n);
}

export interface CcaModel {
  /** Projections [dx, k] and [dy, k], each column scaled by its canonical correlation. */
  a: Float64Array;
  b: Float64Array;
  k: number;
  correlations: Float64Array;
}

/**
 * CCA from covariance blocks of centred data (Cxx = X^T X / n etc.), ridge-regularised by `reg`
 * times the mean variance; keeps the k strongest canonical directions.
 */
export function fitCca(cxx: Float64Array, cyy: Float64Array, cxy: Float64Array, dx: number, dy: number, k: number, reg = 1e-3): CcaModel {
  const regularise = (c: Float64Array, d: number): Float64Array => {
    let trace = 0;
    for (let i = 0; i < d; i++) trace += c[i * d + i]!;
    const out = Float64Array.from(c);
    for (let i = 0; i < d; i++) out[i * d + i] = out[i * d + i]! + (reg * trace) / d;
    return out;
  };
  const wx = inverseSqrt(regularise(cxx, dx), dx);
  const wy = inverseSqrt(regularise(cyy, dy), dy);
  const t = matmul(matmul(wx, cxy, dx, dx, dy), wy, dx, dy, dy); // [dx, dy]
  const { values, vectors } = symmetricEigen(matmul(t, transpose(t, dx, dy), dx, dy, dx), dx);
  const order = Array.from({ length: dx }, (_, i) => i).sort((p, q) => values[q]! - values[p]!);
  const kk = Math.min(k, dx, dy);
  const u = new Float64Array(dx * kk);
  const corr = new Float64Array(kk);
  order.slice(0, kk).forEach((col, j) => {
    corr[j] = Math.sqrt(Math.max(values[col]!, 0));
    for (let i = 0; i < dx; i++) u[i * kk + j] = vectors[i * dx + col]!;
  });
  // v_j = T^T u_j / sigma_j
  const v = matmul(transpose(t, dx, dy), u, dy, dx, kk);
  for (let i = 0; i < dy; i++) for (let j = 0; j < kk; j++) v[i * kk + j] = v[i * kk + j]! / Math.max(corr[j]!, 1e-12);
  const a = matmul(wx, u, dx, dx, kk);
  const b = matmul(wy, v, dy, dy, kk);
  for (let i = 0; i < dx; i++) for (let j = 0; j < kk; j++) a[i * kk + j] = a[i * kk + j]! * corr[j]!;
  for (let i = 0; i < dy; i++) for (let j = 0; j < kk; j++) b[i * kk + j] = b[i * kk + j]! * corr[j]!;
  return { a, b, k: kk, correlations: corr };
}

/** Rows of x [n, d] projected by p [d, k]. */
export function project(x: Float32Array, d: number, p: Float64Array, k: number): Float32Array {
  const n = x.length / d;
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      const xv = x[r * d + i]!;
      for (let j = 0; j < k; j++) out[r * k + j] = out[r * k + j]! + xv * p[i * k + j]!;
    }
  }
  return out;
}
