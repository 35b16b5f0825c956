// How a list of hits is shown to a person: one card per content (the same file at four paths is one
// result with three copies), the score that orders the list, and the query's words each hit holds.
import type { SearchHit } from '../../../src-shared/api.ts';
import { RRF_K } from './fusion.ts';
import { keywordsOf } from './keywords.ts';
import { wordsOf } from '../../../src-shared/words.ts';

/** A hit with the identity of its content: a media file's hash, or a caption's text. */
export interface Keyed {
  hit: SearchHit;
  content: string | null;
}

/** Hits in order, each content once: later hits of the same content become the first's copies. */
export function groupCopies(keyed: readonly Keyed[]): SearchHit[] {
  const first = new Map<string, SearchHit>();
  const out: SearchHit[] = [];
  for (const { hit, content } of keyed) {
    const key = content === null ? null : `${hit.modality}:${content}`;
    const seen = key === null ? undefined : first.get(key);
    if (seen) {
      (seen.copies ??= []).push({ itemId: hit.itemId, dataset: hit.dataset, key: hit.key });
      continue;
    }
    const own = { ...hit };
    if (key !== null) first.set(key, own);
    out.push(own);
  }
  return out;
}

/** A fused rank score (reciprocal rank fusion) as a share of the best possible: first in both lists. */
export function relevanceOf(fused: number, lists = 2): number {
  return fused / (lists / (RRF_K + 1));
}

/** The query's keywords (distinct, in query order, stop words aside) that a text holds as whole words. */
export function matchedWords(query: string, text: string | null | undefined): string[] {
  if (!text) return [];
  const have = new Set(wordsOf(text));
  return keywordsOf(query).filter((w) => have.has(w));
}
