// Reciprocal rank fusion (Cormack, Clarke and Buettcher, 2009): each list gives an item
// 1 / (K + rank); the sum orders the fused list. It needs no common score scale, which cosine
// similarities and BM25 do not share.
export const RRF_K = 60;

export function reciprocalRankFusion(lists: readonly (readonly number[])[], k = RRF_K): { id: number; score: number }[] {
  const score = new Map<number, number>();
  for (const list of lists) list.forEach((id, rank) => score.set(id, (score.get(id) ?? 0) + 1 / (k + rank + 1)));
  return [...score.entries()].map(([id, s]) => ({ id, score: s })).sort((a, b) => b.score - a.score || a.id - b.id);
}
