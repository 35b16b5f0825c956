import { describe, expect, it } from 'vitest';
import { checklist } from '../../src-renderer/src/first-run/checklist.ts';
import type { CatalogStats } from '../../src-shared/types.ts';
import type { RunInfo } from '../../src-shared/api.ts';

const stats = (over: Partial<CatalogStats> = {}): CatalogStats => ({ file: 'c.db', schemaVersion: 6, sizeBytes: 0, datasets: [], encoders: [], ...over });
const dataset = { id: 1, name: 'd', format: 'folder', root: '/x', createdAt: 0, updatedAt: 0, pairs: { train: 10, val: 2, test: 2, unassigned: 0 } };

describe('the first-run checklist', () => {
  it('starts at the import step', () => {
    const steps = checklist(stats(), []);
    expect(steps.map((s) => [s.id, s.done])).toEqual([['import', false], ['encoders', false], ['embed', false], ['train', false], ['search', false]]);
  });

  it('names the modalities without an encoder and the encoders with items left, then is done after a run', () => {
    const d = { ...dataset, items: { image: 10, text: 20, audio: 3 }, embeddings: [{ encoder: 'glove', modality: 'text' as const, dim: 100, count: 12, of: 20 }] };
    let steps = checklist(stats({ datasets: [d], encoders: [{ id: 1, name: 'glove', modality: 'text', dim: 100, fileHash: 'h', source: '/g', vectors: 12 }] }), []);
    expect(steps[0]!.done).toBe(true);
    expect(steps[1]).toMatchObject({ done: false, missing: ['image', 'audio'] });
    expect(steps[2]).toMatchObject({ done: false, missing: ['glove'] });
    const all = { ...d, embeddings: (['glove', 'mobilenet', 'basic-pitch'] as const).map((e, i) => ({ encoder: e, modality: (['text', 'image', 'audio'] as const)[i]!, dim: 1, count: [20, 10, 3][i]!, of: [20, 10, 3][i]! })) };
    const encoders = all.embeddings.map((e, i) => ({ id: i, name: e.encoder, modality: e.modality, dim: 1, fileHash: 'h', source: '/', vectors: e.of }));
    const run = { id: 1, status: 'done' } as RunInfo;
    steps = checklist(stats({ datasets: [all], encoders }), [run]);
    expect(steps.every((s) => s.done)).toBe(true);
  });
});
