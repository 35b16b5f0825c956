import { describe, expect, it } from 'vitest';
import { niceAxis, tickLabel } from '../../src-renderer/src/charts/ticks.ts';

describe('chart axes', () => {
  it('covers the data with round ticks', () => {
    for (const [lo, hi] of [[0, 1], [0.37, 2.9], [120, 3000], [-3, 7], [258, 259], [1e-4, 3e-4]] as const) {
      const a = niceAxis(lo, hi);
      expect(a.min).toBeLessThanOrEqual(lo);
      expect(a.max).toBeGreaterThanOrEqual(hi);
      expect(a.ticks[0]).toBeCloseTo(a.min, 12);
      expect(a.ticks.at(-1)).toBeCloseTo(a.max, 12);
      expect(a.ticks.length).toBeGreaterThanOrEqual(2);
      expect(a.ticks.length).toBeLessThanOrEqual(11);
      const step = a.ticks[1]! - a.ticks[0]!;
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 5, 10].some((m) => Math.abs(m - mantissa) < 1e-6)).toBe(true);
    }
  });

  it('gives one value room around it, and integer axes integer ticks', () => {
    const one = niceAxis(258.5, 258.5);
    expect(one.min).toBeLessThan(258.5);
    expect(one.max).toBeGreaterThan(258.5);
    const steps = niceAxis(1, 3, 5, { integer: true });
    expect(steps.ticks.every(Number.isInteger)).toBe(true);
    expect(niceAxis(0, 0).ticks.length).toBeGreaterThan(1);
  });

  it('labels ticks readably', () => {
    expect(tickLabel(3000)).toBe('3,000');
    expect(tickLabel(0.30000000000000004)).toBe('0.3');
    expect(tickLabel(0.00012)).toBe('1.2e-4');
  });
});
