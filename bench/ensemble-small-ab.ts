// npx tsx bench/ensemble-small-ab.ts SIZE:SEED ... — A/B of how the ensemble weights are chosen at
// few training pairs, on one trained auto connector per job (clipart, bench/clipart.ts; BUDGET
// seconds, default 60): coordinate ascent, equal weights, and per direction whichever of the two
// does better across val's two halves ('heldout', the default: over 3 random halvings; 'heldout1':
// one). An earlier round also had ascent keeping a change only for a val gain above 0.3 points
// ('ascent-m3') and top-k equal sums ('topk'). One JSON line per job; recorded results
// in bench/results/ensemble-small-ab.jsonl.
import { abJobs, describeFit, r1 } from './ensemble-fit-ab.ts';

await abJobs(
  process.argv.slice(2),
  [
    ['ascent', { search: 'ascent' }],
    ['equal', { search: 'equal' }],
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
