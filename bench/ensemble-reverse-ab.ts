// npx tsx bench/ensemble-reverse-ab.ts SIZE:SEED ... — A/B of the ensemble fit on one trained auto
// connector per job (clipart, bench/clipart.ts; BUDGET seconds, default 60): coordinate ascent or
// top-k equal sums (FitOptions.search), each with and without the reverse member. One JSON line per
// job; recorded results in bench/results/ensemble-reverse-ab.jsonl.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { trainingRows } from '../src-main/core/connector/pair-data.ts';
import { runConfig, runData, runParams, trainConnector } from '../src-main/core/connector/run.ts';
import { altMoeModel } from '../src-main/core/model/altmoe.ts';
import { ensembleValues, MEMBERS, type MemberName } from '../src-main/core/model/ensemble.ts';
import { evaluateServed, fitEnsemble, type FitOptions } from '../src-main/core/model/served.ts';
import type { EvalSet } from '../src-main/core/model/evaluate.ts';
import { clipartCatalog } from './clipart.ts';

const budget = Number(process.env.BUDGET ?? 60);
const withoutReverse = MEMBERS.filter((m) => m !== 'reverse');
const VARIANTS: [string, FitOptions][] = [
  ['ascent-old', { search: 'ascent', members: withoutReverse }],
  ['ascent+rev', { search: 'ascent' }],
  ['topk-old', { search: 'topk', members: withoutReverse }],
  ['topk+rev', { search: 'topk' }],
];
const members = (w: Record<MemberName, number>): string =>
  Object.entries(w)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}${v}`)
    .join('+');
const pct = (x: number): string => (100 * x).toFixed(1);

const info = await clipartCatalog(path.resolve(import.meta.dirname, 'data'), 6500);
for (const job of process.argv.slice(2)) {
  const [pairs, seed] = job.split(':').map(Number) as [number, number];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ab-'));
  const file = path.join(work, 'c.db');
  fs.copyFileSync(info.file, file);
  const catalog = Catalog.open(file, { create: false });
  try {
    const run = await trainConnector(catalog, { pairs: [['image', 'text']], runsDir: path.join(work, 'runs'), trainPairs: pairs, seed, threads: 1, budgetSeconds: budget });
    const config = runConfig(catalog, run.runId);
    const values = runParams(config);
    const spec = altMoeModel(config.model);
    const d = (await runData(catalog, config))[0]!;
    const rows = trainingRows(d.splits.train, d.aDim);
    const set = (s: typeof d.splits.val): EvalSet => ({ a: d.a, b: d.b, aVecs: s.aVecs, bVecs: s.bVecs, owner: s.owner });
    const out: Record<string, unknown> = { pairs, seed };
    for (const [name, options] of VARIANTS) {
      const fit = await fitEnsemble(spec, values, { a: d.a, b: d.b, trainA: rows.a, trainB: rows.b, val: set(d.splits.val) }, config.seed, options);
      const t = await evaluateServed({ spec, values: new Map([...values, ...ensembleValues(fit.tensors)]), ensemble: fit.ensemble }, set(d.splits.test));
      out[name] = { val: +fit.valScore.toFixed(2), i2t: +pct(t.forward.r1), t2i: +pct(t.backward.r1), rsum: +t.rsum.toFixed(1), w: members(fit.ensemble.weights), wb: members(fit.ensemble.weightsB2a ?? fit.ensemble.weights) };
    }
    const b = run.test['image-text']!.baselines;
    for (const n of ['knn', 'asif'] as const) out[n] = `${pct(b[n].result.forward.r1)}/${pct(b[n].result.backward.r1)}`;
    console.log(JSON.stringify(out));
  } finally {
    catalog.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
