// A run's charts and summary rebuilt from the metrics the catalog keeps (runs:metrics), so a run
// page shows the same after a reload as it did live. The metric keys are the engine's
// (src-shared/metric-keys.ts, which says what each holds).
import type { MetricPoint, RunInfo } from '../../../src-shared/api.ts';
import type { Series } from '../charts/series.ts';
import { BASELINE_LABELS, hyperSetting, lossDirection, metricSplit, parseMetricSplit } from '../../../src-shared/metric-keys.ts';

export interface Recall {
  fwd: [number, number, number];
  bwd: [number, number, number];
  rsum: number;
}

export interface HeldOutTable {
  pair: string;
  split: string;
  items: number;
  captions: number;
  served: Recall;
  baselines: { name: string; recall: Recall; settings: string }[];
  chance: Recall;
}

export const BASELINE_NAMES = BASELINE_LABELS;
/** Rows only pairs of towers of one contrastive model have: shown where present, never as "not evaluated". */
export const OPTIONAL_BASELINES: readonly string[] = ['zeroshot'];
/** The baseline rows of a held-out table: every tuned one, and the optional ones it has. */
export const baselineRows = (have: readonly { name: string }[]): [string, string][] => Object.entries(BASELINE_NAMES).filter(([n]) => !OPTIONAL_BASELINES.includes(n) || have.some((b) => b.name === n));

/** The auto preset's chosen trial (1-based), or null for a run without trials. */
export function chosenTrial(points: readonly MetricPoint[]): number | null {
  const p = points.find((m) => m.split === metricSplit.val() && m.name === 'chosen_trial');
  if (p) return p.value;
  // A running auto run: its latest trial so far.
  const trials = points.map((m) => parseMetricSplit(m.split)).flatMap((s) => ((s?.kind === 'train' || s?.kind === 'val') && s.trial !== null ? [s.trial] : []));
  return trials.length ? Math.max(...trials) : null;
}

const byStep = (points: [number, number][]): [number, number][] => points.sort((a, b) => a[0] - b[0]);

/**
 * Loss per direction, learning rate and val RSUM per pair, of the run (or of its chosen trial). In an
 * auto run of several pairs a pair can be served from another trial: its RSUM is that trial's, named so.
 */
export function runCurves(points: readonly MetricPoint[]): { loss: Series[]; lr: Series[]; recall: Series[]; trial: number | null } {
  const trial = chosenTrial(points);
  const servedTrial = new Map(points.flatMap((m) => {
    const s = parseMetricSplit(m.split);
    return s?.kind === 'served' && m.name === 'trial' ? [[s.pair, m.value] as const] : [];
  }));
  const trialOf = (pair: string): number | null => servedTrial.get(pair) ?? trial;
  const train = metricSplit.train(trial);
  const loss = new Map<string, [number, number][]>();
  const lr: [number, number][] = [];
  const recall = new Map<string, [number, number][]>();
  for (const m of points) {
    if (m.step <= 0) continue;
    const direction = lossDirection(m.name);
    const s = parseMetricSplit(m.split);
    if (m.split === train) {
      if (direction !== null) (loss.get(direction) ?? loss.set(direction, []).get(direction)!).push([m.step, m.value]);
      else if (m.name === 'lr') lr.push([m.step, m.value]);
    } else if (s?.kind === 'pair' && s.split === 'val' && s.trial === trialOf(s.pair) && m.name === 'rsum') {
      (recall.get(s.pair) ?? recall.set(s.pair, []).get(s.pair)!).push([m.step, m.value]);
    }
  }
  return {
    loss: [...loss].map(([name, p]) => ({ name, points: byStep(p) })),
    lr: [{ name: 'learning rate', points: byStep(lr) }],
    recall: [...recall].map(([pair, p]) => ({ name: `${pair} RSUM${trialOf(pair) !== trial ? ` (trial ${trialOf(pair)})` : ''}`, points: byStep(p) })),
    trial,
  };
}

function recallOf(values: Map<string, number>): Recall {
  const v = (k: string): number => 100 * (values.get(k) ?? 0);
  return { fwd: [v('fwd_r1'), v('fwd_r5'), v('fwd_r10')], bwd: [v('bwd_r1'), v('bwd_r5'), v('bwd_r10')], rsum: values.get('rsum') ?? 0 };
}

/** Recall of a random ranking: R@K = K / gallery size, each way (captions are the text gallery). */
export function chanceRecall(items: number, captions: number): Recall {
  const r = (k: number, n: number): number => 100 * Math.min(1, k / Math.max(1, n));
  const fwd: [number, number, number] = [r(1, captions), r(5, captions), r(10, captions)];
  const bwd: [number, number, number] = [r(1, items), r(5, items), r(10, items)];
  return { fwd, bwd, rsum: [...fwd, ...bwd].reduce((a, b) => a + b, 0) };
}

/** The held-out table per pair: test when the run was evaluated on test, else val. */
export function heldOutTables(points: readonly MetricPoint[]): HeldOutTable[] {
  const groups = new Map<string, Map<string, number>>();
  for (const m of points) {
    if (m.step !== 0) continue;
    (groups.get(m.split) ?? groups.set(m.split, new Map()).get(m.split)!).set(m.name, m.value);
  }
  const tables: HeldOutTable[] = [];
  const pairs = new Set([...groups.keys()].map(parseMetricSplit).flatMap((s) => (s?.kind === 'pair' && s.split !== 'train' && s.trial === null ? [s.pair] : [])));
  for (const pair of pairs) {
    const split = groups.has(metricSplit.heldOut('test', pair)) ? 'test' : 'val';
    const main = groups.get(metricSplit.heldOut(split, pair))!;
    const baselines = Object.keys(BASELINE_NAMES).flatMap((name) => {
      const b = groups.get(metricSplit.baseline(split, pair, name));
      if (!b) return [];
      const settings = [...b].flatMap(([k, v]) => {
        const setting = hyperSetting(k);
        return setting === null ? [] : [`${setting}=${Number(v.toPrecision(3))}`];
      }).join(' ');
      return [{ name, recall: recallOf(b), settings }];
    });
    const items = main.get('items') ?? 0;
    const captions = main.get('captions') ?? 0;
    tables.push({ pair, split, items, captions, served: recallOf(main), baselines, chance: chanceRecall(items, captions) });
  }
  return tables;
}

/** Why a run's curves end where they do, in words (null while it runs). */
export function stopReason(run: Pick<RunInfo, 'status' | 'steps' | 'patience' | 'evalEvery' | 'preset'>, points: readonly MetricPoint[]): string | null {
  if (run.status === 'running' || run.status === 'created') return null;
  const trial = chosenTrial(points);
  const trained = points.filter((m) => m.split === metricSplit.train(trial) && m.step > 0).map((m) => m.step);
  const last = trained.length ? Math.max(...trained) : 0;
  if (run.status === 'cancelled') return `cancelled at step ${last}; resume continues from there`;
  if (run.status === 'failed' || run.status === 'interrupted') return `${run.status} at step ${last}; resume continues from the last checkpoint`;
  if (last === 0) return null;
  if (last >= run.steps) return `ran all ${run.steps} planned steps`;
  const vals = points.filter((m) => m.split === metricSplit.val(trial) && m.name === 'score' && m.step > 0).sort((a, b) => a.step - b.step);
  const best = vals.reduce<MetricPoint | null>((b, m) => (b === null || m.value > b.value ? m : b), null);
  const after = best ? vals.filter((m) => m.step > best.step).length : 0;
  if (best && after >= run.patience)
    return `stopped early at step ${last} of ${run.steps}: the validation score had not improved in ${after} checks (every ${run.evalEvery} steps) since step ${best.step}, the checkpoint kept`;
  return `stopped at step ${last} of ${run.steps}: ${run.preset === 'auto' ? 'the time budget ran out' : 'the time budget ran out or it was stopped'}${best ? `; the best checkpoint is step ${best.step}` : ''}`;
}
