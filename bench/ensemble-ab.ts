// npx tsx bench/ensemble-ab.ts SIZE:SEED ... — A/B of the ensemble fit on the same trained auto
// connector (clipart, bench/clipart.ts): shared weights (legacy), per-direction weights (the
// default), per-direction + hubness (CSLS). One JSON line per job; results in
// bench/results/ensemble-ab.jsonl. (The reverse member came later: bench/ensemble-reverse-ab.ts.)
import { abJobs, r1 } from './ensemble-fit-ab.ts';

await abJobs(
  process.argv.slice(2),
  [
    ['legacy', { perDirection: false, hubness: false }],
    ['perdir', { hubness: false }],
    ['perdir+hub', { hubness: true }],
  ],
  {
    budget: Number(process.env.BUDGET ?? 60),
    threads: 2,
    describe: (fit, t) => `val ${fit.valScore.toFixed(2)} test ${r1(t)} rsum ${t.rsum.toFixed(1)}`,
    baselines: (b) => ({ asif: `${r1(b.asif.result)} ${b.asif.result.rsum.toFixed(1)}`, knn: r1(b.knn.result) }),
  },
);
