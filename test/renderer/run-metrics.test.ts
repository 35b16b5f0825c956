import { describe, expect, it } from 'vitest';
import type { MetricPoint } from '../../src-shared/api.ts';
import { runCurves } from '../../src-renderer/src/runs/run-metrics.ts';

const point = (split: string, step: number, name: string, value: number): MetricPoint => ({ split, step, name, value }) as MetricPoint;

describe("a run page's curves", () => {
  it('draws each pair of an auto run from the trial that pair is served from', () => {
    const points = [
      point('trial2.train', 100, 'lr', 0.001),
      point('trial2.val.image-text', 100, 'rsum', 120),
      point('trial2.val.audio-text', 100, 'rsum', 300),
      point('trial3.val.image-text', 100, 'rsum', 110),
      point('trial3.val.audio-text', 100, 'rsum', 350),
      point('trial3.val.audio-text', 200, 'rsum', 340),
      point('val', 100, 'chosen_trial', 2),
      point('val.image-text.served', 0, 'trial', 2),
      point('val.audio-text.served', 0, 'trial', 3),
    ];
    const c = runCurves(points);
    expect(c.trial).toBe(2);
    expect(c.recall).toEqual([
      { name: 'image-text RSUM', points: [[100, 120]] },
      { name: 'audio-text RSUM (trial 3)', points: [[100, 350], [200, 340]] },
    ]);
  });
});
