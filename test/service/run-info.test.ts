import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src-main/core/runs/events.ts';
import { trainEventInfo } from '../../src-main/core/service/run-info.ts';

type Chosen = Extract<RunEvent, { type: 'chosen' }>;
const pair = (trial: number, served: string): Chosen['pairs'][string] => ({ trial, served, weights: {} as never, weightsB2a: {} as never, hub: { a2b: 0, b2a: 0 }, single: {} as never, valScore: 50, weighing: {} as never });

describe('training events as the renderer gets them', () => {
  it("the auto run's choice names a pair served from another trial than the one kept", () => {
    const e: Chosen = { type: 'chosen', trial: 2, settings: 'dropout 0.3', pairs: { 'image-text': pair(2, 'connector x1'), 'audio-text': pair(3, 'connector x1 + ASIF (relative) x1') } };
    expect(trainEventInfo(e)).toEqual({ type: 'chosen', trial: 2, settings: 'dropout 0.3', served: { 'image-text': 'connector x1', 'audio-text': "connector x1 + ASIF (relative) x1 (trial 3's checkpoint)" } });
  });
});
