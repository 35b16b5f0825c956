// Shared by the ensemble A/B scripts (ensemble-ab.ts, ensemble-reverse-ab.ts, ensemble-small-ab.ts):
// per "SIZE:SEED" job, one auto run on the clipart catalog (bench/clipart.ts), then every fit
// variant on that same trained connector, evaluated on the test split. One JSON line per job.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { trainingRows } from '../src-main/core/connector/pair-data.ts';
import { runConfig, runData, runParams, trainConnector, type PairEvaluation } from '../src-main/core/connector/run.ts';
import { altMoeModel } from '../src-main/core/model/altmoe.ts';
import { ensembleValues, type MemberName } from '../src-main/core/model/ensemble.ts';
import type { EvalSet } from '../src-main/core/model/evaluate.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { evaluateServed, fitEnsemble, type EnsembleFit, type FitOptions } from '../src-main/core/model/served.ts';
import { clipartCatalog } from './clipart.ts';

export type Describe = (fit: EnsembleFit, test: CrossModalResult) => unknown;

export async function abJobs(jobs: readonly string[], variants: [string, FitOptions][], opts: { budget: number; threads: number; describe: Describe; baselines: (b: PairEvaluation['baselines']) => Record<string, unknown> }): Promise<void> {
  const info = await clipartCatalog(path.resolve(import.meta.dirname, 'data'), 6500);
  for (const job of jobs) {
    const [pairs, seed] = job.split(':').map(Number) as [number, number];
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ab-'));
    const file = path.join(work, 'c.db');
    fs.copyFileSync(info.file, file);
    const catalog = Catalog.open(file, { create: false });
    try {
      const run = await trainConnector(catalog, { pairs: [['image', 'text']], runsDir: path.join(work, 'runs'), trainPairs: pairs, seed, threads: opts.threads, budgetSeconds: opts.budget });
      const config = runConfig(catalog, run.runId);
      const values = runParams(config);
      const spec = altMoeModel(config.model);
      const d = (await runData(catalog, config))[0]!;
      const rows = trainingRows(d.splits.train, d.aDim);
      const set = (s: typeof d.splits.val): EvalSet => ({ a: d.a, b: d.b, aVecs: s.aVecs, bVecs: s.bVecs, owner: s.owner });
      const out: Record<string, unknown> = { pairs, seed };
      for (const [name, options] of variants) {
        const fit = await fitEnsemble(spec, values, { a: d.a, b: d.b, trainA: rows.a, trainB: rows.b, val: set(d.splits.val) }, config.seed, options);
        const test = await evaluateServed({ spec, values: new Map([...values, ...ensembleValues(fit.tensors)]), ensemble: fit.ensemble }, set(d.splits.test));
        out[name] = opts.describe(fit, test);
      }
      console.log(JSON.stringify({ ...out, ...opts.baselines(run.test['image-text']!.baselines) }));
    } finally {
      catalog.close();
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
}

/** "connector1+asif0.5": the members a fit weighs, with their weights. */
export const memberList = (w: Record<MemberName, number>): string =>
  Object.entries(w)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}${v}`)
    .join('+');
const pct = (x: number): number => +(100 * x).toFixed(1);

/** One fit's line: its val score, test R@1 both ways, RSUM and the weights of each direction. */
export const describeFit: Describe = (fit, t) => ({ val: +fit.valScore.toFixed(2), i2t: pct(t.forward.r1), t2i: pct(t.backward.r1), rsum: +t.rsum.toFixed(1), w: memberList(fit.ensemble.weights), wb: memberList(fit.ensemble.weightsB2a ?? fit.ensemble.weights) });

export const r1 = (r: CrossModalResult): string => `${(100 * r.forward.r1).toFixed(1)}/${(100 * r.backward.r1).toFixed(1)}`;
