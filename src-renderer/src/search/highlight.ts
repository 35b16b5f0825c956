import { WORD } from '../../../src-shared/words.ts';

/** A text cut into runs, each marked when it is one of the words (whole words, any case). */
export function highlightRuns(text: string, words: readonly string[]): { text: string; mark: boolean }[] {
  if (words.length === 0 || !text) return [{ text, mark: false }];
  const wanted = new Set(words.map((w) => w.toLowerCase()));
  const out: { text: string; mark: boolean }[] = [];
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    if (!wanted.has(m[0].toLowerCase())) continue;
    if (m.index > last) out.push({ text: text.slice(last, m.index), mark: false });
    out.push({ text: m[0], mark: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), mark: false });
  return out;
}

/** The number that orders a list of hits, as a card shows it, and what it is called. */
export function shownScore(h: { score: number; relevance?: number }): { value: string; name: string } {
  return h.relevance !== undefined ? { value: h.relevance.toFixed(2), name: 'match' } : { value: h.score.toFixed(3), name: 'cosine' };
}
