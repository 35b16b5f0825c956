// npx tsx bench/ensemble-reverse-ab.ts SIZE:SEED ... — A/B of the ensemble fit on one trained auto
// connector per job (clipart, bench/clipart.ts; BUDGET seconds, default 60): coordinate ascent or
// top-k equal sums (FitOptions.search), each with and without the reverse member. One JSON line per
// job; recorded results in bench/results/ensemble-reverse-ab.jsonl.
import { MEMBERS } from '../src-main/core/model/ensemble.ts';
import { abJobs, describeFit, r1 } from './ensemble-fit-ab.ts';

const withoutReverse = MEMBERS.filter((m) => m !== 'reverse');
await abJobs(
  process.argv.slice(2),
  [
    ['ascent-old', { search: 'ascent', members: withoutReverse }],
    ['ascent+rev', { search: 'ascent' }],
    ['topk-old', { search: 'topk', members: withoutReverse }],
    ['topk+rev', { search: 'topk' }],
  ],
  {
    budget: Number(process.env.BUDGET ?? 60),
    threads: 1,
    describe: describeFit,
    baselines: (b) => ({ knn: r1(b.knn.result), asif: r1(b.asif.result) }),
  },
);
