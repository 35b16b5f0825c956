// Plain words for every number and setting the Train and run pages show: a table header's tooltip
// and the "What do these mean?" list use the same text.
export const GLOSSARY: Record<string, string> = {
  'R@1 →': 'Recall at 1, first modality to second (e.g. image → text): the share of queries whose right answer is the first result.',
  'R@5 →': 'The share of queries (first modality → second) whose right answer is among the first 5 results.',
  'R@10 →': 'The share of queries (first modality → second) whose right answer is among the first 10 results.',
  'R@1 ←': 'Recall at 1 the other way (e.g. text → image).',
  'R@5 ←': 'Recall at 5 the other way.',
  'R@10 ←': 'Recall at 10 the other way.',
  RSUM: 'The sum of the six recalls above, in %: one number for both directions, 600 at best.',
  'val score': 'Mean of R@1, R@5 and R@10 over all validation queries: what training watches to keep the best checkpoint and to stop early.',
  chance: 'What random results would score: R@K is K divided by the number of items searched.',
  ridge: 'Ridge regression: a linear map from one space to the other, fitted on the training pairs (no training loop).',
  cca: 'Canonical correlation analysis: both spaces projected onto the directions in which the training pairs agree most.',
  knn: 'Nearest neighbours: a query is matched through its most similar training items and their partners.',
  asif: 'ASIF: items compared by their similarities to the training pairs (relative representations), no training.',
  'zero-shot': 'The encoders already share one space (two towers of one contrastive model): plain cosine, no training.',
  'pred+cl': 'The training loss: a prediction term (map one space onto the other) plus a contrastive term (the right partner must score above the others).',
  alternating: 'Alt-MoE trains one direction per step, taking turns, so each direction keeps its own heads while the experts are shared.',
  moe: 'Mixture of experts: several small networks, and a router that picks a few of them for each input.',
  served: 'What search uses for this pair: the connector, or a weighted mix of the connector and the baselines, chosen on validation.',
};
