// The Map page's sources: encoders with vectors (pictures first), then each finished run, one entry
// per pair for a run of several.
import { describe, expect, it } from 'vitest';
import type { RunInfo } from '../../src-shared/api.ts';
import type { CatalogStats } from '../../src-shared/types.ts';
import { mapSources } from '../../src-renderer/src/map/map-sources.ts';

const encoder = (name: string, modality: string, vectors: number) => ({ name, modality, vectors }) as unknown as CatalogStats['encoders'][number];
const run = (id: number, status: string, pairs: RunInfo['pairs']) => ({ id, name: `r${id}`, status, pairs }) as RunInfo;

describe('map sources', () => {
  it('lists encoders with vectors, then a source per finished run and per pair of a run of several', () => {
    const list = mapSources(
      [encoder('glove', 'text', 5000), encoder('empty', 'image', 0), encoder('mobilenet', 'image', 1200)],
      [run(1, 'done', [['image', 'text']]), run(2, 'running', [['image', 'text']]), run(3, 'done', [['image', 'text'], ['audio', 'text']])],
    );
    expect(list.map((s) => [s.value, s.label])).toEqual([
      ['encoder:mobilenet', 'mobilenet (image, 1,200 vectors)'],
      ['encoder:glove', 'glove (text, 5,000 vectors)'],
      ['run:1', 'run 1 · r1 (shared space)'],
      ['run:3:image:text', 'run 3 · r3 (image-text space)'],
      ['run:3:audio:text', 'run 3 · r3 (audio-text space)'],
    ]);
    expect(list.map((s) => s.request)).toEqual([{ encoder: 'mobilenet' }, { encoder: 'glove' }, { run: 1 }, { run: 3, pair: ['image', 'text'] }, { run: 3, pair: ['audio', 'text'] }]);
  });
});
