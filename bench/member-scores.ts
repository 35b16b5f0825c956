// Experiments' helper (not a product path): a trained run's served members scored alone and in
// weighted sums, on val and test, as the served graphs give them, so that ways of weighing them
// can be compared on the same rows (QB-Norm left out: it is fitted on top of whichever weights).
import type { Catalog } from '../src-main/core/catalog/catalog.ts';
import { altMoeModel } from '../src-main/core/model/altmoe.ts';
import { meanRecall } from '../src-main/core/model/baselines/recall.ts';
import { ensembleValues, MEMBERS, NO_MEMBERS, type MemberName } from '../src-main/core/model/ensemble.ts';
import { fitEnsemble, type EnsembleFit, type FitOptions } from '../src-main/core/model/ensemble-fit.ts';
import { comboScore, memberRows, type Rows, type Weights } from '../src-main/core/model/ensemble-rows.ts';
import type { EvalSet } from '../src-main/core/model/eval-set.ts';
import { evaluateServed, type Served } from '../src-main/core/model/served.ts';
import type { RunConfig } from '../src-main/core/runs/config.ts';
import { evalSetOf, trainingRows } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import type { Values } from './trial-rows.ts';

/** The members a clipart run serves (its encoders are no towers of one model). */
export const USED = MEMBERS.filter((m) => m !== 'zeroshot');
export type DirWeights = { a2b: Weights; b2a: Weights };
export type Score = { i2t: number; t2i: number; mr_i2t: number; mr_t2i: number };

const round = (x: number) => Math.round(x * 100) / 100;
export const only = (m: MemberName): Weights => ({ ...NO_MEMBERS, [m]: 1 });
export const equalOver = (ms: readonly MemberName[]): Weights => ({ ...NO_MEMBERS, ...Object.fromEntries(ms.map((m) => [m, 1])) });
export const weightsOf = (f: EnsembleFit): DirWeights => ({ a2b: f.ensemble.weights, b2a: f.ensemble.weightsB2a ?? f.ensemble.weights });

/**
 * The run's first pair with parameters `values`: its ensemble fitted by the held-out choice and by
 * the ascent (no QB-Norm), each member's R@1 and mean recall alone on val and test, a scorer for any
 * weights, and the product's fit (`fit`) with what it serves on test (`servedOnTest`).
 */
export async function memberScores(catalog: Catalog, config: RunConfig, values: Values) {
  const spec = altMoeModel(config.model);
  const d = (await runData(catalog, config))[0]!;
  const [val, test] = [evalSetOf(d, 'val'), evalSetOf(d, 'test')];
  const rows = trainingRows(d.splits.train, d.aDim);
  const pair = { a: d.a, b: d.b, trainA: rows.a, trainB: rows.b, val, ...(d.unpaired ? { unpaired: d.unpaired } : {}) };
  const fit = (options: FitOptions): Promise<EnsembleFit> => fitEnsemble(spec, values, pair, config.seed, options);
  const fits = { heldout: await fit({ qbnorm: false }), ascent: await fit({ qbnorm: false, search: 'ascent' }) };
  const served = (f: EnsembleFit): Served => ({ spec, values: new Map([...values, ...ensembleValues(f.tensors)]), ensemble: f.ensemble });
  const base = served(fits.heldout);
  const rowsOn = async (set: EvalSet): Promise<Rows> => Object.fromEntries(await Promise.all(USED.map(async (m) => [m, await memberRows(base, base.ensemble, m, set)] as const)));
  const [vr, tr] = [await rowsOn(val), await rowsOn(test)];
  const scoreOn = async (r: Rows, set: EvalSet, w: DirWeights): Promise<Score> => {
    const [r1, mr] = [await comboScore(r, w.a2b, w.b2a, set, (x) => x.r1), await comboScore(r, w.a2b, w.b2a, set, meanRecall)];
    return { i2t: round(100 * r1.a2b), t2i: round(100 * r1.b2a), mr_i2t: round(100 * mr.a2b), mr_t2i: round(100 * mr.b2a) };
  };
  const score = async (w: DirWeights) => ({ val: await scoreOn(vr, val, w), test: await scoreOn(tr, test, w), w });
  const alone: Record<string, { val: Score; test: Score }> = {};
  for (const m of USED) {
    const { val: v, test: t } = await score({ a2b: only(m), b2a: only(m) });
    alone[m] = { val: v, test: t };
  }
  return { val, fit, fits, alone, score, servedOnTest: (f: EnsembleFit) => evaluateServed(served(f), test) };
}
