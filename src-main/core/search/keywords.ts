// Keyword search over the catalog (SQLite FTS5, BM25): the exact words of a text query in captions,
// and in the file names of media without one (of all media when asked: folder names such as
// "computer/" would otherwise bring every file under them). A media item also matches through its
// captions, so "piggybank" finds the drawing titled so. Search fuses this ranking with the
// semantic one (fusion.ts).
import type { Modality, Split } from '../../../src-shared/types.ts';
import { wordsOf } from '../../../src-shared/words.ts';
import type { Catalog } from '../catalog/catalog.ts';

export interface KeywordQuery {
  text: string;
  modality: Modality;
  limit: number;
  datasets?: string[];
  splits?: Split[];
  exclude?: number;
  /** Media: match every file name's words too, not only those of uncaptioned media. */
  paths?: boolean;
}

/**
 * English words too common to say why an item matched ("a" put "A youngster" first for "a red
 * apple"): left out of keyword matching unless the query has no other word.
 */
export const STOP_WORDS = new Set(['a', 'an', 'the', 'of', 'and', 'or', 'in', 'on', 'at', 'to', 'for', 'with', 'by', 'from', 'is', 'are', 'it', 'its', 'this', 'that', 'as', 'be']);

/** The words of a query that keyword matching uses: without stop words, unless that leaves none. */
export function keywordsOf(text: string): string[] {
  const words = [...new Set(wordsOf(text))];
  const content = words.filter((w) => !STOP_WORDS.has(w));
  return content.length > 0 ? content : words;
}

/** The query's words as an FTS5 expression: any of them, each quoted (so no word is an operator). */
export function ftsExpression(text: string): string | null {
  const unique = keywordsOf(text).slice(0, 32);
  return unique.length > 0 ? unique.map((w) => `"${w}"`).join(' OR ') : null;
}

/** Item ids of the modality matching the query's words, best first. */
export function keywordMatches(catalog: Catalog, q: KeywordQuery): number[] {
  const expr = ftsExpression(q.text);
  if (!expr) return [];
  const datasetIds = q.datasets?.map((name) => catalog.datasets.get(name)?.id ?? -1);
  const inSplits = q.splits ? catalog.pairs.itemsInSplits(q.splits) : null;
  // Filters apply after the match: ask for more rows than needed when they may drop some.
  const fetch = datasetIds || inSplits || q.exclude !== undefined ? q.limit * 4 + 16 : q.limit;
  const ranked = q.modality === 'text' ? catalog.items.matchCaptions(expr, fetch) : catalog.items.matchMedia(expr, q.modality, fetch, q.paths ?? false);
  const out: number[] = [];
  for (const r of ranked) {
    if (r.id === q.exclude) continue;
    if (datasetIds && !datasetIds.includes(r.datasetId)) continue;
    if (inSplits && !inSplits.has(r.id)) continue;
    out.push(r.id);
    if (out.length >= q.limit) break;
  }
  return out;
}
