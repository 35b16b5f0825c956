// The selection criterion shared by every tuned baseline and the connector's early stopping.
import type { CrossModalResult, Recall } from '../retrieval.ts';

/** Mean of R@1, R@5 and R@10 (a fraction). */
export const meanRecall = (r: Recall): number => (r.r1 + r.r5 + r.r10) / 3;

/**
 * Mean recall over every query of every direction, each query weighing the same (micro-average):
 * a 12-clip audio split cannot outweigh a large image split. In percent.
 */
export function microScore(results: readonly { result: CrossModalResult; media: number; captions: number }[]): number {
  let sum = 0;
  let queries = 0;
  for (const { result, media, captions } of results) {
    sum += meanRecall(result.forward) * media + meanRecall(result.backward) * captions;
    queries += media + captions;
  }
  return queries > 0 ? (100 * sum) / queries : 0;
}

/**
 * What the served choice (ensemble weights, QB-Norm strength) is fitted to on val: 'recall', the
 * mean of R@1, R@5 and R@10 (the criterion above); 'map10', mAP@10, with one relevant item the mean
 * reciprocal rank of the first hit (weighs rank 1 most, yet counts every rank to 10); 'r1', R@1.
 */
export type Criterion = 'recall' | 'map10' | 'r1';
export const CRITERIA: readonly Criterion[] = ['recall', 'map10', 'r1'];

export function criterionScore(c: Criterion): (r: Recall) => number {
  if (c === 'map10') return (r) => r.map10;
  if (c === 'r1') return (r) => r.r1;
  return meanRecall;
}
