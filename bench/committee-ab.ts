// Experiment (not a product path): the auto run's trial connectors combined. For each (pairs, seed)
// job it trains the default run on the clipart curve's data, then scores on val and test: the chosen
// trial's connector (forward map), it plus its reverse member (equal weights: what bench:curve calls
// the connector alone), the sum of the top-3 / all trials' cosines with their reverses (a committee),
// and a uniform average of the top-3 trials' weights (a soup; every trial starts from the same
// seeded initialisation). Every member's rows come from the served graphs (ensemble-rows.ts), and
// a sum of cosines is ranked by the product's recall code (unit blocks side by side).
//   npx tsx bench/committee-ab.ts 1000:1,500:1 >> bench/experiments/committee-ab.jsonl
import { runConfig } from '../src-main/core/runs/config.ts';
import { evalSetOf } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { bestTrials, eachDefaultRun, soupOf, sumRecall, trialRows, type TrialRows } from './trial-rows.ts';

await eachDefaultRun(process.argv[2]!, async (catalog, auto, pairs, seed) => {
  const config = runConfig(catalog, auto.runId);
  const data = await runData(catalog, config);
  const sets = { val: evalSetOf(data[0]!, 'val'), test: evalSetOf(data[0]!, 'test') };
  // The trials that finished (a spent budget leaves the rest out), in trial order.
  const finished = bestTrials(catalog, auto.runId, config).sort((x, y) => x.trial - y.trial);
  const values = finished.map((t) => t.values);
  const rows = { val: [] as TrialRows[], test: [] as TrialRows[] };
  for (const v of values) for (const split of ['val', 'test'] as const) rows[split].push(await trialRows(config, v, sets[split]));
  const score = async (split: 'val' | 'test', of: TrialRows[], withReverse: boolean) => sumRecall(of.flatMap((t) => (withReverse ? [t.connector, t.reverse] : [t.connector])), sets[split]);
  const both = async (idx: number[], withReverse: boolean, from = rows) => ({ val: await score('val', idx.map((i) => from.val[i]!), withReverse), test: await score('test', idx.map((i) => from.test[i]!), withReverse) });
  const all = values.map((_, i) => i);
  const trials = await Promise.all(all.map((i) => both([i], false)));
  const top3 = [...all].sort((x, y) => trials[y]!.val.rsum - trials[x]!.val.rsum).slice(0, 3);
  const chosen = finished.findIndex((t) => t.trial === (auto.auto?.trial ?? 1));
  const out: Record<string, unknown> = { pairs, seed, chosen_trial: finished[chosen]!.trial, served_test: auto.test['image-text']!.connector.rsum, trials: trials.map((t) => ({ val: t.val.rsum, test: t.test.rsum })) };
  for (const [name, idx] of [['chosen', [chosen]], ['top3', top3], ['all', all]] as const) for (const rev of [false, true]) out[`${name}${rev ? '+rev' : ''}`] = await both([...idx], rev);
  const soup = soupOf(top3.map((i) => values[i]!));
  const soupRows = { val: [await trialRows(config, soup, sets.val)], test: [await trialRows(config, soup, sets.test)] };
  out.soup3 = await both([0], false, soupRows);
  out['soup3+rev'] = await both([0], true, soupRows);
  console.log(JSON.stringify(out));
});
