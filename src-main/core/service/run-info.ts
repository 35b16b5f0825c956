// Runs and training events as the contract shows them (runs:list, train:event): a run's settings,
// its best and held-out scores, whether search uses it, and each training event in the renderer's terms.
import type { RunInfo, TrainEventInfo } from '../../../src-shared/api.ts';
import { metricSplit, parseMetricSplit, servedTrialNote } from '../../../src-shared/metric-keys.ts';
import type { Modality } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { decodeRunConfig } from '../runs/config.ts';
import type { RunEvent } from '../runs/events.ts';
import { pickRun } from '../store/pick-run.ts';

export function trainEventInfo(e: RunEvent): TrainEventInfo | null {
  switch (e.type) {
    case 'progress': {
      const load = e.metrics.load ?? e.metrics.expert_load;
      return { type: 'progress', step: e.step, steps: e.steps, task: e.task, loss: e.loss, losses: e.losses, lr: e.lr, stepsPerSec: e.stepsPerSec, ...(Array.isArray(load) ? { load } : {}) };
    }
    case 'recall':
      return { type: 'recall', step: e.step, pair: e.pair, rsum: e.result.rsum, r1: (e.result.forward.r1 + e.result.backward.r1) / 2, best: e.best };
    case 'started':
      return { type: 'started', provider: e.provider, parameters: e.parameters, step: e.step };
    case 'warning':
      return { type: 'warning', message: e.message };
    case 'trial':
      return { type: 'trial', index: e.index, of: e.of, settings: e.settings, bestSoFar: e.bestSoFar, secondsLeft: e.secondsLeft };
    case 'chosen':
      return { type: 'chosen', trial: e.trial, settings: e.settings, served: Object.fromEntries(Object.entries(e.pairs).map(([k, r]) => [k, `${r.served}${servedTrialNote(r.trial, e.trial)}`])) };
    default:
      return null;
  }
}

/** The final evaluation a run recorded ("test.<pair>", else "val.<pair>"), first pair. */
function heldOutRsum(metrics: { split: string; name: string; value: number }[]): RunInfo['heldOut'] {
  for (const split of ['test', 'val'] as const) {
    const m = metrics.find((x) => {
      const s = parseMetricSplit(x.split);
      return s?.kind === 'pair' && s.split === split && s.trial === null && x.name === 'rsum';
    });
    if (m) return { split, rsum: m.value };
  }
  return null;
}

/** For each run, the pairs for which search uses it when no run is picked (pickRun's default). */
export function servingRuns(c: Catalog): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const pairs = new Set(c.runs.list().filter((r) => r.status === 'done').flatMap((r) => decodeRunConfig(r.config).pairs.map(([a, b]) => `${a}-${b}`)));
  for (const pair of pairs) {
    const [a, b] = pair.split('-') as [Modality, Modality];
    try {
      const id = pickRun(c, a, b).id;
      out.set(id, [...(out.get(id) ?? []), pair]);
    } catch {
      // No current run for the pair (its encoder changed): none serves it.
    }
  }
  return out;
}

export function runInfo(r: { id: number; name: string; status: string; config: string; updated_at: number }, metrics: { split: string; name: string; value: number }[], serving: string[] = []): RunInfo {
  const config = decodeRunConfig(r.config);
  const rsum = metrics.filter((m) => m.split === metricSplit.val() && m.name === 'rsum').reduce((b, m) => Math.max(b, m.value), -1);
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    pairs: config.pairs,
    preset: config.preset,
    connector: String(config.model.connector ?? 'moe'),
    schedule: String(config.model.schedule ?? 'alternating'),
    loss: String(config.model.loss ?? 'pred+cl'),
    steps: config.steps,
    evalEvery: config.evalEvery,
    patience: config.patience,
    bestValRsum: rsum >= 0 ? rsum : null,
    heldOut: heldOutRsum(metrics),
    serving,
    updatedAt: r.updated_at,
  };
}
