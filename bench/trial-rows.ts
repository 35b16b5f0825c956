// Experiments' helpers (not a product path): the default run trained for each (pairs, seed) job on
// the clipart curve's data; a trial's connector and reverse members on a set, as the served graphs
// give them; the recall of a sum of members' cosines, ranked by the product's recall code; and a
// uniform average of parameter sets (a soup).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { memberRows, sideBySide, type MemberRows } from '../src-main/core/model/ensemble-rows.ts';
import type { EvalSet } from '../src-main/core/model/eval-set.ts';
import { AUTO } from '../src-main/core/model/presets.ts';
import { crossModalRecall, type CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { runParams, servedWith, type RunConfig } from '../src-main/core/runs/config.ts';
import type { RunSummary } from '../src-main/core/runs/events.ts';
import { trainConnector } from '../src-main/core/runs/run.ts';
import { metricSplit } from '../src-shared/metric-keys.ts';
import { clipartCatalog } from './clipart.ts';

/**
 * For each job of `arg` ("pairs:seed,..."): a copy of the clipart curve's catalog (MobileNetV2 +
 * GloVe), the default run trained on it as bench:curve trains it (300 s, one thread), then `body`
 * with both. The copy is removed after, unless EXPERIMENT_RUNS names a folder to keep it in: a job
 * found there finished is not trained again, so further variants can be scored on the same runs.
 * `source` trains on another catalog file and its encoders instead (an experiment's derived vectors);
 * `prepare` changes each job's copy before it trains, and `tag` names its kept folder apart.
 */
export async function eachDefaultRun(
  arg: string,
  body: (catalog: Catalog, auto: RunSummary, pairs: number, seed: number) => Promise<void>,
  source?: { file: string; encoders: { image: string; text: string } },
  variant: { tag?: string; prepare?: (catalog: Catalog, seed: number) => void } = {},
): Promise<void> {
  const jobs = arg.split(',').map((j) => j.split(':').map(Number) as [number, number]);
  const info = source ?? { file: (await clipartCatalog(path.resolve(import.meta.dirname, 'data'), 6500, { image: ['mobilenet'], text: ['glove'] })).file, encoders: { image: 'mobilenet', text: 'glove' } };
  const keep = process.env.EXPERIMENT_RUNS;
  for (const [pairs, seed] of jobs) {
    const work = keep ? path.join(path.resolve(keep), `${pairs}-${seed}${variant.tag ? `-${variant.tag}` : ''}`) : fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-experiment-'));
    const done = path.join(work, 'summary.json');
    if (!fs.existsSync(done)) {
      fs.rmSync(work, { recursive: true, force: true });
      fs.mkdirSync(work, { recursive: true });
      fs.copyFileSync(info.file, path.join(work, 'c.db'));
    }
    const catalog = Catalog.open(path.join(work, 'c.db'), { create: false });
    try {
      const trained = fs.existsSync(done);
      if (!trained) variant.prepare?.(catalog, seed);
      const auto: RunSummary = trained
        ? JSON.parse(fs.readFileSync(done, 'utf8'))
        : await trainConnector(catalog, { pairs: [['image', 'text']], runsDir: path.join(work, 'runs'), trainPairs: pairs, seed, threads: 1, encoders: info.encoders, budgetSeconds: 300 });
      if (keep) fs.writeFileSync(done, JSON.stringify(auto));
      await body(catalog, auto, pairs, seed);
    } finally {
      catalog.close();
      if (!keep) fs.rmSync(work, { recursive: true, force: true });
    }
  }
}

export type Values = Map<string, Float32Array | Float64Array>;

/** A run's trials that finished, best val score first (the first is the one the run serves). */
export function bestTrials(catalog: Catalog, runId: number, config: RunConfig): { trial: number; score: number; values: Values }[] {
  const metrics = catalog.metrics.forRun(runId);
  return Array.from({ length: AUTO.trials.length }, (_, i) => i + 1)
    .map((trial) => ({ trial, dir: path.join(config.dir, `trial-${trial}`), score: metrics.find((m) => m.split === metricSplit.trial(trial) && m.name === 'score')?.value }))
    .filter((t): t is { trial: number; dir: string; score: number } => t.score !== undefined && fs.existsSync(path.join(t.dir, 'best.safetensors')))
    .sort((x, y) => y.score - x.score)
    .map((t) => ({ trial: t.trial, score: t.score, values: runParams({ ...config, dir: t.dir }) }));
}
export interface TrialRows {
  connector: MemberRows;
  reverse: MemberRows;
}
export interface Recall {
  i2t: number;
  t2i: number;
  rsum: number;
}

/** One parameter set's connector and reverse members on a set, as the served graphs give them. */
export async function trialRows(config: RunConfig, values: Values, set: EvalSet): Promise<TrialRows> {
  const base = servedWith({ ...config, served: null }, values, set.a, set.b);
  return { connector: await memberRows(base, base.ensemble, 'connector', set), reverse: await memberRows(base, base.ensemble, 'reverse', set) };
}

/** Members' unit rows side by side, each scaled by `scale`: one member whose dot product is the scaled sum of their cosines. */
export function concatRows(rows: MemberRows[], scale = 1): MemberRows {
  const side = (pick: (r: MemberRows) => [Float32Array, number]) => sideBySide(rows.map((r) => ({ x: pick(r)[0], d: pick(r)[1], scale })));
  const [qa, gb, qb, ga] = [side((r) => [r.qa, r.dab]), side((r) => [r.gb, r.dab]), side((r) => [r.qb, r.dba]), side((r) => [r.ga, r.dba])];
  return { qa: qa.x, gb: gb.x, dab: gb.d, qb: qb.x, ga: ga.x, dba: ga.d };
}

/** R@1 both ways and RSUM of the sum of the given members' cosines. */
export async function sumRecall(rows: MemberRows[], set: EvalSet): Promise<Recall> {
  const r = concatRows(rows);
  return recallOf(await crossModalRecall({ mediaQueries: r.qa, captionGallery: r.gb, captionDim: r.dab, captionQueries: r.qb, mediaGallery: r.ga, mediaDim: r.dba, owner: set.owner }));
}

/** R@1 both ways (percent) and RSUM of a recall result. */
export const recallOf = (r: CrossModalResult): Recall => ({ i2t: 100 * r.forward.r1, t2i: 100 * r.backward.r1, rsum: r.rsum });

/** Uniform average of parameter sets (a soup). */
export function soupOf(sets: Values[]): Values {
  const out: Values = new Map();
  for (const [name, first] of sets[0]!) {
    const avg = new Float32Array(first.length);
    for (const s of sets) {
      const w = s.get(name)!;
      for (let i = 0; i < avg.length; i++) avg[i] = avg[i]! + w[i]! / sets.length;
    }
    out.set(name, avg);
  }
  return out;
}
