// What counts as a word, the same for keyword search (FTS5's unicode61 splits on the same classes),
// the words a hit is said to match, and the words a result card marks.
export const WORD = /[\p{L}\p{N}]+/gu;

/** A text's words, lower-cased, in order. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}
