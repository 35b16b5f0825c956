import { describe, expect, it } from 'vitest';
import { normalizeRows, topKScored } from '../../src-main/core/index/exact.ts';
import { buildInt8Scorer, candidateCount, quantizeRows, ROW_CODE_MAX, topKInt8 } from '../../src-main/core/index/quantized.ts';
import { mulberry32, normal } from '../../src-main/core/util/rng.ts';

describe('int8 vector storage', () => {
  const d = 64;
  const n = 3000;
  const rand = mulberry32(3);
  const centres = Float32Array.from({ length: 30 * d }, () => normal(rand));
  const raw = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * 30);
    for (let j = 0; j < d; j++) raw[i * d + j] = centres[c * d + j]! + 0.7 * normal(rand);
  }
  const x = normalizeRows(raw, d);

  it('quantises each row within half a step of its scale', () => {
    const q = quantizeRows(x, d);
    expect(q.codes.length).toBe(n * d);
    expect(q.scales.length).toBe(n);
    for (let r = 0; r < n; r += 97) {
      for (let j = 0; j < d; j++) expect(Math.abs(q.codes[r * d + j]! * q.scales[r]! - x[r * d + j]!)).toBeLessThanOrEqual(q.scales[r]! / 2 + 1e-7);
      expect(Math.max(...Array.from(q.codes.subarray(r * d, (r + 1) * d), Math.abs))).toBe(ROW_CODE_MAX);
    }
  });

  it('the int8 candidates for k=10 contain the exact top 10 of every query', async () => {
    const q = await buildInt8Scorer(quantizeRows(x, d));
    for (let t = 0; t < 20; t++) {
      const query = normalizeRows(Float32Array.from(x.subarray(t * 150 * d, (t * 150 + 1) * d), (v) => v + 0.05 * normal(rand)), d);
      const exact = await topKScored(query, x, d, 10);
      const candidates = new Set(await topKInt8(q, query, candidateCount(10, n)));
      expect([...exact.indices].filter((i) => !candidates.has(i))).toEqual([]);
    }
  });

  it('keeps the exact top 10 among its candidates when codes are large and of one sign (no int16 saturation)', async () => {
    // All-positive rows near one direction: every product of query and row codes is large. x86
    // kernels without VNNI add u8 x s8 products in pairs into int16, which saturates at full 8-bit
    // row codes (255 * 127 * 2 > 32767); this set then ranked wrongly on an AVX2-only AMD EPYC.
    const m = 2000;
    const pos = normalizeRows(Float32Array.from({ length: m * d }, () => 1 + 0.3 * Math.abs(normal(rand))), d);
    const q = await buildInt8Scorer(quantizeRows(pos, d));
    for (let t = 0; t < 10; t++) {
      const query = normalizeRows(Float32Array.from(pos.subarray(t * 190 * d, (t * 190 + 1) * d), (v) => v + 0.02 * normal(rand)), d);
      const exact = await topKScored(query, pos, d, 10);
      const candidates = new Set(await topKInt8(q, query, candidateCount(10, m)));
      expect([...exact.indices].filter((i) => !candidates.has(i))).toEqual([]);
    }
  });
});
