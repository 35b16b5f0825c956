// npx tsx bench/ensemble-ab.ts SIZE:SEED ... — A/B of the ensemble fit on the same trained auto
// connector (clipart, bench/clipart.ts): shared weights (legacy), per-direction weights (the
// default), per-direction + hubness (CSLS). One JSON line per job; results in
// bench/results/ensemble-ab.jsonl. (The reverse member came later: bench/ensemble-reverse-ab.ts.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { trainConnector, runConfig, runData, runParams } from '../src-main/core/connector/run.ts';
import { trainingRows } from '../src-main/core/connector/pair-data.ts';
import { altMoeModel } from '../src-main/core/model/altmoe.ts';
import { fitEnsemble, evaluateServed, type FitOptions } from '../src-main/core/model/served.ts';
import { ensembleValues } from '../src-main/core/model/ensemble.ts';
import type { EvalSet } from '../src-main/core/model/evaluate.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';

const jobs = process.argv.slice(2).map((j) => j.split(':').map(Number) as [number, number]);
const budget = Number(process.env.BUDGET ?? 60);
const VARIANTS: [string, FitOptions][] = [
  ['legacy', { perDirection: false, hubness: false }],
  ['perdir', { hubness: false }],
  ['perdir+hub', { hubness: true }],
];
const r1 = (r: CrossModalResult): string => `${(100 * r.forward.r1).toFixed(1)}/${(100 * r.backward.r1).toFixed(1)}`;

for (const [pairs, seed] of jobs) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ab-'));
  const file = path.join(work, 'c.db');
  fs.copyFileSync('bench/data/clipart-6500.db', file);
  const catalog = Catalog.open(file, { create: false });
  try {
    const r = await trainConnector(catalog, { pairs: [['image', 'text']], runsDir: path.join(work, 'runs'), trainPairs: pairs, seed, threads: 2, budgetSeconds: budget });
    const config = runConfig(catalog, r.runId);
    const values = runParams(config);
    const spec = altMoeModel(config.model);
    const d = (await runData(catalog, config))[0]!;
    const rows = trainingRows(d.splits.train, d.aDim);
    const set = (s: typeof d.splits.val): EvalSet => ({ a: d.a, b: d.b, aVecs: s.aVecs, bVecs: s.bVecs, owner: s.owner });
    const out: Record<string, string> = {};
    for (const [name, options] of VARIANTS) {
      const fit = await fitEnsemble(spec, values, { a: d.a, b: d.b, trainA: rows.a, trainB: rows.b, val: set(d.splits.val) }, config.seed, options);
      const t = await evaluateServed({ spec, values: new Map([...values, ...ensembleValues(fit.tensors)]), ensemble: fit.ensemble }, set(d.splits.test));
      out[name] = `val ${fit.valScore.toFixed(2)} test ${r1(t)} rsum ${t.rsum.toFixed(1)}`;
    }
    const b = r.test['image-text']!.baselines;
    console.log(JSON.stringify({ pairs, seed, ...out, asif: `${r1(b.asif.result)} ${b.asif.result.rsum.toFixed(1)}`, knn: r1(b.knn.result) }));
  } finally {
    catalog.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
