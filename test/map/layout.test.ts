// The map's layout: deterministic for a seed, and it keeps neighbourhoods (most of a point's 10
// nearest neighbours in the original space stay among its 30 nearest on the map), both when UMAP
// lays out every point and when most points are placed by their sampled neighbours.
import { describe, expect, it } from 'vitest';
import { layout } from '../../src-main/core/map/layout.ts';
import { selfNeighbours } from '../../src-main/core/index/knn.ts';
import { bruteKnn, clustered } from './vectors.ts';

const DIM = 32;

function neighbourKept(unit: Float32Array, xy: Float32Array, n: number): number {
  const high = bruteKnn(n, 10, (i, j) => {
    let s = 0;
    for (let d = 0; d < DIM; d++) s += unit[i * DIM + d]! * unit[j * DIM + d]!;
    return s;
  });
  const low = bruteKnn(n, 30, (i, j) => -((xy[i * 2]! - xy[j * 2]!) ** 2 + (xy[i * 2 + 1]! - xy[j * 2 + 1]!) ** 2));
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const near = new Set(low[i]);
    kept += [...high[i]!].filter((j) => near.has(j)).length;
  }
  return kept / (n * 10);
}

describe('layout', () => {
  const n = 900;
  const unit = clustered(n, DIM, 12, 0.35, 5);

  it('is the same for the same seed and differs for another', async () => {
    const a = await layout(unit, DIM, { seed: 3, epochs: 100 });
    const b = await layout(unit, DIM, { seed: 3, epochs: 100 });
    const c = await layout(unit, DIM, { seed: 4, epochs: 100 });
    expect(a.length).toBe(n * 2);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    // Scaled into [-1, 1], the longer side spanning it.
    const max = Math.max(...Array.from(a, Math.abs));
    expect(max).toBeLessThanOrEqual(1 + 1e-6);
    expect(max).toBeGreaterThan(0.99);
  });

  it('keeps most original neighbours near on the map', async () => {
    const xy = await layout(unit, DIM, { seed: 1 });
    expect(neighbourKept(unit, xy, n)).toBeGreaterThan(0.6);
  }, 60_000);

  it('keeps them when most points are placed from a sample', async () => {
    const xy = await layout(unit, DIM, { seed: 1, sample: 300 });
    expect(neighbourKept(unit, xy, n)).toBeGreaterThan(0.5);
    // Placed points land at the sampled points of their own cluster: their nearest point on the
    // map is mostly of the same cluster.
    let same = 0;
    for (let i = 0; i < n; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const d = (xy[i * 2]! - xy[j * 2]!) ** 2 + (xy[i * 2 + 1]! - xy[j * 2 + 1]!) ** 2;
        if (d < bestD) [best, bestD] = [j, d];
      }
      if (best % 12 === i % 12) same++;
    }
    expect(same / n).toBeGreaterThan(0.9);
  }, 60_000);

  it('handles tiny inputs', async () => {
    expect(Array.from(await layout(unit.subarray(0, DIM), DIM))).toEqual([0, 0]);
    expect((await layout(unit.subarray(0, 3 * DIM), DIM)).length).toBe(6);
    expect((await layout(unit.subarray(0, 8 * DIM), DIM)).every(Number.isFinite)).toBe(true);
  });
});

describe('neighbours', () => {
  it('exact and graph neighbours agree with brute force', async () => {
    const n = 400;
    const unit = clustered(n, DIM, 8, 0.5, 2);
    const truth = bruteKnn(n, 10, (i, j) => {
      let s = 0;
      for (let d = 0; d < DIM; d++) s += unit[i * DIM + d]! * unit[j * DIM + d]!;
      return s;
    });
    for (const exact of [true, false]) {
      const nn = await selfNeighbours(unit, DIM, 10, { exact });
      let hit = 0;
      for (let i = 0; i < n; i++) {
        const mine = new Set(nn.rows.subarray(i * 10, (i + 1) * 10));
        expect(mine.has(i)).toBe(false);
        hit += [...truth[i]!].filter((j) => mine.has(j)).length;
      }
      expect(hit / (n * 10)).toBeGreaterThan(exact ? 0.999 : 0.95);
    }
  });

  it('answers every block of queries for itself (more rows than one search block)', async () => {
    const n = 9000;
    const dim = 8;
    const unit = clustered(n, dim, 30, 0.3, 4);
    const nn = await selfNeighbours(unit, dim, 3, { exact: true });
    for (const i of [5, 4100, 8999]) {
      let best = -1;
      let bestS = -Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        let s = 0;
        for (let d = 0; d < dim; d++) s += unit[i * dim + d]! * unit[j * dim + d]!;
        if (s > bestS) [best, bestS] = [j, s];
      }
      expect(nn.rows[i * 3]).toBe(best);
      expect(nn.sims[i * 3]).toBeCloseTo(bestS, 5);
    }
  });
});
