import { describe, expect, it } from 'vitest';
import { normalizeRows } from '../../src-main/core/index/exact.ts';
import { buildIvf, searchIvf } from '../../src-main/core/index/ivf.ts';
import { mulberry32, normal } from '../../src-main/core/util/rng.ts';

function clustered(n: number, d: number, clusters: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const centres = Float32Array.from({ length: clusters * d }, () => normal(rand));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * clusters);
    for (let k = 0; k < d; k++) x[i * d + k] = centres[c * d + k]! + 0.6 * normal(rand);
  }
  return normalizeRows(x, d);
}

function exact(x: Float32Array, d: number, q: Float32Array, k: number): number[] {
  const n = x.length / d;
  const s = Array.from({ length: n }, (_, i) => {
    let v = 0;
    for (let j = 0; j < d; j++) v += x[i * d + j]! * q[j]!;
    return [v, i] as const;
  });
  return s.sort((a, b) => b[0] - a[0]).slice(0, k).map((e) => e[1]);
}

describe('IVF approximate index', () => {
  it('probing every list returns exactly the brute-force top k', async () => {
    const d = 16;
    const x = clustered(2000, d, 20, 1);
    const index = await buildIvf(x, d, { lists: 16, seed: 2 });
    expect(index.offsets.at(-1)).toBe(2000);
    expect([...index.rows].sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    for (let q = 0; q < 10; q++) {
      const query = x.subarray(q * 97 * d, (q * 97 + 1) * d);
      const r = await searchIvf(index, query, 10, 16);
      expect(Array.from(r.rows)).toEqual(exact(x, d, query, 10));
    }
  });

  it('probing a few lists keeps a high recall on clustered data', async () => {
    const d = 32;
    const x = clustered(5000, d, 50, 3);
    const index = await buildIvf(x, d, { lists: 64, seed: 4 });
    let found = 0;
    const queries = 30;
    for (let q = 0; q < queries; q++) {
      const query = normalizeRows(Float32Array.from(x.subarray(q * 131 * d, (q * 131 + 1) * d), (v, i) => v + 0.05 * Math.sin(i + q)), d);
      const truth = new Set(exact(x, d, query, 10));
      const r = await searchIvf(index, query, 10, 8);
      found += Array.from(r.rows).filter((i) => truth.has(i)).length;
    }
    expect(found / (10 * queries)).toBeGreaterThan(0.9);
  });
});
