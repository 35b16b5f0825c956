// Experiment (not a product path): ways of weighing the served ensemble's members, each chosen on val
// only, scored on test, on runs kept by an earlier experiment (EXPERIMENT_RUNS=folder, jobs
// "pairs:seed,..."). Members' rows come from the served graphs; QB-Norm is left out (it is fitted on
// top of whichever weights are chosen).
//   EXPERIMENT_RUNS=/work/runs npx tsx bench/weights-probe.ts 500:1,1000:1
import type { MemberName } from '../src-main/core/model/ensemble.ts';
import { runConfig } from '../src-main/core/runs/config.ts';
import { equalOver, memberScores, USED, weightsOf, type DirWeights } from './member-scores.ts';
import { bestTrials, eachDefaultRun } from './trial-rows.ts';

await eachDefaultRun(process.argv[2]!, async (catalog, auto, pairs, seed) => {
  const config = runConfig(catalog, auto.runId);
  const { fits, alone, score } = await memberScores(catalog, config, bestTrials(catalog, auto.runId, config)[0]!.values);
  const top = (k: number, dir: 'mr_i2t' | 'mr_t2i'): MemberName[] => [...USED].sort((x, y) => alone[y]!.val[dir] - alone[x]!.val[dir]).slice(0, k);
  const rules: Record<string, DirWeights> = {
    heldout: weightsOf(fits.heldout),
    ascent: weightsOf(fits.ascent),
    equal: { a2b: equalOver(USED), b2a: equalOver(USED) },
    top2: { a2b: equalOver(top(2, 'mr_i2t')), b2a: equalOver(top(2, 'mr_t2i')) },
    top3: { a2b: equalOver(top(3, 'mr_i2t')), b2a: equalOver(top(3, 'mr_t2i')) },
    top4: { a2b: equalOver(top(4, 'mr_i2t')), b2a: equalOver(top(4, 'mr_t2i')) },
    no_ridge: { a2b: equalOver(USED.filter((m) => m !== 'ridge')), b2a: equalOver(USED.filter((m) => m !== 'ridge')) },
  };
  const out: Record<string, unknown> = { pairs, seed, alone };
  for (const [name, w] of Object.entries(rules)) out[name] = await score(w);
  console.log(JSON.stringify(out));
});
