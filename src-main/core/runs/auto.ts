// The auto preset: Alt-MoE trials within a time budget, each with early stopping on validation,
// then the best trial's connector joined by the tuned training-free members in the ensemble that is
// best on validation (ensemble.ts). The run says which trial won, what it serves, and by how much it
// beat the best training-free baseline on val.
import fs from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.ts';
import { altMoeModel } from '../model/altmoe.ts';
import { describeServed, type EnsembleConfig } from '../model/ensemble.ts';
import type { TrialSettings } from '../model/presets.ts';
import { fitEnsemble } from '../model/ensemble-fit.ts';
import type { Provider } from '../onnx/runtime.ts';
import { CHECKPOINT_FILE } from '../train/checkpoint.ts';
import { writeSafetensors } from '../util/safetensors.ts';
import { BEST_FILE, ENSEMBLE_FILE, pairBestFile, runParams, saveRunConfig, type RunConfig } from './config.ts';
import type { AutoReport, RunEvent, RunSummary } from './events.ts';
import { finishRun, trainLoop } from './loop.ts';
import { evalSetOf, trainingRows, type PairData } from './pair-data.ts';
import { bestRecorded, metricName, metricSplit, parseMetricSplit } from '../../../src-shared/metric-keys.ts';

/** A trial's configuration: the run's, with the trial's settings and its own folder. */
export function trialConfig(config: RunConfig, index: number): RunConfig {
  const t: TrialSettings = config.auto!.trials[index]!;
  return {
    ...config,
    model: { ...config.model, ...(t.dropout !== undefined ? { dropout: t.dropout } : {}), ...(t.temperature !== undefined ? { temperature: t.temperature } : {}) },
    optimizer: { ...config.optimizer, ...(t.lr !== undefined ? { lr: t.lr } : {}) },
    dir: path.join(config.dir, `trial-${index + 1}`),
  };
}

export const describeTrial = (t: TrialSettings): string =>
  Object.entries(t)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export async function runAuto(catalog: Catalog, runId: number, config: RunConfig, data: PairData[], exec: { threads?: number; provider?: Provider }, onEvent: (e: RunEvent) => void, signal?: AbortSignal): Promise<RunSummary> {
  const plan = config.auto!;
  catalog.write(() => catalog.runs.setStatus(runId, 'running', Date.now()));
  const metrics = () => catalog.metrics.forRun(runId);
  const finished = (i: number) => metrics().find((m) => m.split === metricSplit.trial(i + 1) && m.name === 'score');
  // Time already spent by finished trials (a resumed run keeps its budget).
  const spent = metrics().filter((m) => parseMetricSplit(m.split)?.kind === 'trial' && m.name === 'seconds').reduce((s, m) => s + m.value, 0);
  const started = Date.now();
  const deadline = started + Math.max(0, plan.budgetSeconds - spent) * 1000;
  for (let i = 0; i < plan.trials.length; i++) {
    if (finished(i)) continue;
    const doneBefore = plan.trials.some((_, j) => j < i && finished(j));
    if (doneBefore && Date.now() >= deadline) break;
    const best = bestTrial(catalog, runId, plan.trials.length);
    onEvent({ type: 'trial', index: i + 1, of: plan.trials.length, settings: describeTrial(plan.trials[i]!), bestSoFar: best?.score ?? null, secondsLeft: Math.max(0, (deadline - Date.now()) / 1000) });
    const t0 = Date.now();
    const out = await trainLoop(catalog, runId, trialConfig(config, i), data, exec, onEvent, signal, { trial: i + 1, deadline });
    if (!out.completed) return finishRun(catalog, runId, config, data, out);
    catalog.write(() => catalog.metrics.record(runId, out.bestStep, metricSplit.trial(i + 1), { score: out.bestValScore, seconds: (Date.now() - t0) / 1000 }));
  }
  const best = bestTrial(catalog, runId, plan.trials.length)!;
  const chosen = trialConfig(config, best.index);
  // The run becomes its best trial: its model settings, its best checkpoint in the run's folder.
  for (const f of [BEST_FILE, CHECKPOINT_FILE]) fs.copyFileSync(path.join(chosen.dir, f), path.join(config.dir, f));
  let final: RunConfig = { ...config, model: chosen.model, optimizer: chosen.optimizer };
  // With several pairs, each pair serves the best checkpoint of any trial on its own val queries.
  const own = pairTrials(catalog, runId, config, data, best);
  for (const [key, t] of own) fs.copyFileSync(path.join(trialConfig(config, t.index).dir, pairBestFile(key)), path.join(config.dir, pairBestFile(key)));
  const spec = altMoeModel(final.model);
  const served: Record<string, EnsembleConfig> = {};
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  const report: AutoReport['pairs'] = {};
  for (const d of data) {
    const key = `${d.a}-${d.b}`;
    const rows = trainingRows(d.splits.train, d.aDim);
    const values = runParams(final, 'best', key);
    const fit = await fitEnsemble(spec, values, { a: d.a, b: d.b, trainA: rows.a, trainB: rows.b, val: evalSetOf(d, 'val'), joint: d.joint !== undefined, ...(d.unpaired ? { unpaired: d.unpaired } : {}) }, config.seed);
    served[key] = fit.ensemble;
    for (const [n, x] of Object.entries(fit.tensors)) tensors[`${key}/${n}`] = { shape: [x.length], data: x };
    report[key] = { trial: (own.get(key) ?? best).index + 1, served: describeServed(fit.ensemble), weights: fit.ensemble.weights, weightsB2a: fit.ensemble.weightsB2a ?? fit.ensemble.weights, hub: { a2b: fit.ensemble.hub?.a2b?.beta ?? 0, b2a: fit.ensemble.hub?.b2a?.beta ?? 0 }, single: fit.single, valScore: fit.valScore, weighing: fit.weighing, unpaired: { [d.a]: (d.unpaired?.a.length ?? 0) / d.aDim, [d.b]: (d.unpaired?.b.length ?? 0) / d.bDim } };
  }
  writeSafetensors(path.join(config.dir, ENSEMBLE_FILE), tensors);
  final = { ...final, served };
  const bestScore = best.score;
  const bestRsum = catalog.metrics.forRun(runId).find((m) => m.split === metricSplit.val(best.index + 1) && m.step === best.step && m.name === 'rsum')?.value ?? -1;
  catalog.write(() => {
    saveRunConfig(catalog, runId, final, Date.now());
    catalog.metrics.record(runId, best.step, metricSplit.val(), { score: bestScore, rsum: bestRsum, chosen_trial: best.index + 1 });
    for (const [key, r] of Object.entries(report)) catalog.metrics.record(runId, 0, metricSplit.served(key), { score: r.valScore, trial: r.trial, ...Object.fromEntries(Object.entries(r.weights).map(([m, w]) => [metricName.weight(m), w])), ...Object.fromEntries(Object.entries(r.weightsB2a).map(([m, w]) => [metricName.weightB2a(m), w])), hub_a2b: r.hub.a2b, hub_b2a: r.hub.b2a, ...Object.fromEntries(Object.entries(r.single).map(([m, s]) => [metricName.alone(m), s])) });
  });
  onEvent({ type: 'chosen', trial: best.index + 1, settings: describeTrial(config.auto!.trials[best.index]!), pairs: report });
  const summary = await finishRun(catalog, runId, final, data, { completed: true, bestStep: best.step, bestValScore: bestScore, stoppedEarly: false });
  return { ...summary, auto: { trial: best.index + 1, settings: describeTrial(config.auto!.trials[best.index]!), pairs: report } };
}

function bestTrial(catalog: Catalog, runId: number, n: number): { index: number; score: number; step: number } | null {
  let best: { index: number; score: number; step: number } | null = null;
  for (const m of catalog.metrics.forRun(runId)) {
    const hit = parseMetricSplit(m.split);
    if (hit?.kind !== 'trial' || m.name !== 'score') continue;
    const index = hit.trial - 1;
    if (index < n && (!best || m.value > best.score)) best = { index, score: m.value, step: m.step };
  }
  return best;
}

/**
 * Per pair of a run of several, the trial whose checkpoint is best on that pair's val queries (the
 * trial loops keep it, loop.ts). Empty for one pair, or when a trial recorded no pair scores (begun
 * by an older version): the run's best trial then serves every pair.
 */
function pairTrials(catalog: Catalog, runId: number, config: RunConfig, data: PairData[], overall: { index: number }): Map<string, { index: number; score: number }> {
  if (data.length < 2) return new Map();
  const metrics = catalog.metrics.forRun(runId);
  const trials = config.auto!.trials.map((_, i) => i).filter((i) => metrics.some((m) => m.split === metricSplit.trial(i + 1) && m.name === 'score'));
  const out = new Map<string, { index: number; score: number }>();
  for (const d of data) {
    const key = `${d.a}-${d.b}`;
    for (const i of trials) {
      const score = bestRecorded(metrics, metricSplit.valPair(key, i + 1)).value;
      if (score < 0 || !fs.existsSync(path.join(trialConfig(config, i).dir, pairBestFile(key)))) return new Map();
      if (!out.has(key) || score > out.get(key)!.score) out.set(key, { index: i, score });
    }
  }
  return trials.includes(overall.index) ? out : new Map();
}
