import { describe, expect, it } from 'vitest';
import { highlightRuns, shownScore } from '../../src-renderer/src/search/highlight.ts';
import { groupCopies, matchedWords, relevanceOf } from '../../src-main/core/search/presentation.ts';
import { RRF_K } from '../../src-main/core/search/fusion.ts';
import type { SearchHit } from '../../src-shared/api.ts';

describe('what a result card shows', () => {
  it('marks whole words of the query, any case, and keeps every character of the text', () => {
    const runs = highlightRuns('Red apples, a RED car; redder', ['red', 'car']);
    expect(runs.map((r) => r.text).join('')).toBe('Red apples, a RED car; redder');
    expect(runs.filter((r) => r.mark).map((r) => r.text)).toEqual(['Red', 'RED', 'car']);
    expect(highlightRuns('<b>x</b>', [])).toEqual([{ text: '<b>x</b>', mark: false }]);
  });

  it('shows the number that orders the list: the match score of a fused list, else the cosine', () => {
    expect(shownScore({ score: 0.2934, relevance: 0.8 })).toEqual({ value: '0.80', name: 'match' });
    expect(shownScore({ score: 0.2934 })).toEqual({ value: '0.293', name: 'cosine' });
    expect(relevanceOf(2 / (RRF_K + 1))).toBe(1);
    expect(matchedWords('a red apple', 'The Red Apple of a tree')).toEqual(['red', 'apple']);
    expect(matchedWords('the', 'the end')).toEqual(['the']);
  });

  it('folds copies into the first hit of their content, in order', () => {
    const hit = (itemId: number): SearchHit => ({ itemId, dataset: 'd', modality: 'image', key: `k${itemId}`, path: null, text: null, score: 1 - itemId / 10, via: 'x' });
    const out = groupCopies([
      { hit: hit(1), content: 'h1' },
      { hit: hit(2), content: 'h2' },
      { hit: hit(3), content: 'h1' },
      { hit: hit(4), content: null },
      { hit: hit(5), content: null },
    ]);
    expect(out.map((h) => h.itemId)).toEqual([1, 2, 4, 5]);
    expect(out[0]!.copies).toEqual([{ itemId: 3, dataset: 'd', key: 'k3' }]);
  });
});
