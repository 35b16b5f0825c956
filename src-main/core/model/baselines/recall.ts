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
