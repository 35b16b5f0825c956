// npx tsx bench/ensemble-small-ab.ts SIZE:SEED ... — A/B of how the ensemble weights are chosen at
// few training pairs, on one trained auto connector per job (clipart, bench/clipart.ts; BUDGET
// seconds, default 60): coordinate ascent, ascent keeping a change only for a val gain above 0.3
// points ('ascent-m3'), equal weights, top-k equal sums, and per direction whichever of ascent and
// equal weights does better across val's halves ('heldout', the default: 3 random halvings;
// 'heldout1': one). One JSON line per job; recorded results in
// bench/results/ensemble-small-ab.jsonl (its 'round' and 'guard' fields say which code ran).
import { abJobs, describeFit, r1 } from './ensemble-fit-ab.ts';

await abJobs(
  process.argv.slice(2),
  [
    ['ascent', { search: 'ascent' }],
    ['ascent-m3', { search: 'ascent', margin: 0.003 }],
    ['equal', { search: 'equal' }],
    ['topk', { search: 'topk' }],
    ['heldout1', { search: 'heldout', splits: 1 }],
    ['heldout', { search: 'heldout' }],
  ],
  {
    budget: Number(process.env.BUDGET ?? 60),
    threads: 1,
    describe: describeFit,
    baselines: (b) => ({ knn: r1(b.knn.result), asif: r1(b.asif.result), cca: r1(b.cca.result) }),
  },
);
