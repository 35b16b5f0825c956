// Connector runs over the catalog: train the Alt-MoE connector on stored vectors with the
// alternating schedule, validate by retrieval recall every N steps with early stopping, keep the
// best checkpoint, evaluate the test split beside the training-free baselines, and record it all in
// the catalog so runs can be resumed, compared and deleted.
import fs from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.ts';
import { reconcileJobs } from '../catalog/job-records.ts';
import { straddleWarning } from '../duplicates/straddle.ts';
import { directionName } from '../model/altmoe.ts';
import type { Provider } from '../onnx/runtime.ts';
import { runAuto } from './auto.ts';
import { ConnectorRunOptions, RunConfig, ownsRunDir, resolveRunDir, runConfig, saveRunConfig } from './config.ts';
import { withDuplicatePolicy } from './duplicate-policy.ts';
import { RunEvent, RunSummary } from './events.ts';
import { runLoop } from './loop.ts';
import { ConnectorDataError } from './pair-data.ts';
import { planRun, runData } from './plan.ts';

/** Creates a run in the catalog from a preset and overrides, then trains it. */
export async function trainConnector(catalog: Catalog, opts: ConnectorRunOptions, onEvent: (e: RunEvent) => void = () => {}, signal?: AbortSignal): Promise<RunSummary> {
  const { config: planned, data: loaded } = planRun(catalog, opts);
  // Duplicates across splits are looked for here, in the job (a scan of every media vector), not
  // while the request is checked.
  const data = await Promise.all(loaded.map((d) => withDuplicatePolicy(catalog, d, planned.duplicates ?? 'warn')));
  const now = Date.now();
  const name = opts.name ?? `${opts.pairs.map((p) => p.join('-')).join('+')} ${planned.preset}`;
  // The run folder is named after the run id: create the row and record its config in one transaction.
  const { runId, config } = catalog.write(() => {
    const id = catalog.runs.create(name, {}, now);
    const c: RunConfig = { ...planned, dir: path.resolve(opts.runsDir, `run-${id}`) };
    saveRunConfig(catalog, id, c, now);
    return { runId: id, config: c };
  });
  onEvent({ type: 'created', runId });
  for (const d of data) {
    if (d.skipped > 0) onEvent({ type: 'warning', message: `${d.skipped} ${d.a}-${d.b} pair(s) are left out: a side has no vector of the run's encoders yet (embed them first)` });
    const straddle = d.duplicates && straddleWarning(d.duplicates, `${d.a}-${d.b}`);
    if (straddle) onEvent({ type: 'warning', message: straddle });
  }
  const exec = { threads: opts.threads, provider: opts.provider };
  return config.auto ? runAuto(catalog, runId, config, data, exec, onEvent, signal) : runLoop(catalog, runId, config, data, exec, onEvent, signal);
}

/** Continues a run that was cancelled or interrupted, from its last checkpoint. */
export async function resumeConnector(catalog: Catalog, runId: number, onEvent: (e: RunEvent) => void = () => {}, signal?: AbortSignal, exec: { threads?: number; provider?: Provider } = {}): Promise<RunSummary> {
  const config = runConfig(catalog, runId);
  const data = await runData(catalog, config);
  for (const d of data) {
    if (d.encoders.a.hash !== config.encoders[d.a]?.hash || d.encoders.b.hash !== config.encoders[d.b]?.hash) {
      throw new ConnectorDataError(`run ${runId} was trained on vectors of another encoder model; start a new run`);
    }
  }
  return config.auto ? runAuto(catalog, runId, config, data, exec, onEvent, signal) : runLoop(catalog, runId, config, data, exec, onEvent, signal);
}

/**
 * Deletes a run from the catalog (checkpoints and metrics go with it) and its folder; returns the
 * folder. Only a folder that belongs to this catalog file is removed: one of its own runs folder,
 * or an explicit folder outside any catalog's runs folder. A copied catalog whose row points into
 * another catalog's runs folder (an absolute path written before paths were stored relative)
 * leaves those files alone.
 */
export function deleteRun(catalog: Catalog, runId: number): string | null {
  // A run left 'running' by a process that died is interrupted, not busy.
  reconcileJobs(catalog);
  const run = catalog.runs.get(runId);
  if (!run) throw new ConnectorDataError(`no run ${runId}`);
  if (run.status === 'running') throw new ConnectorDataError(`run ${runId} is running; cancel it first`);
  const stored = (JSON.parse(run.config) as Partial<RunConfig>).dir;
  const dir = stored ? resolveRunDir(catalog, stored) : null;
  catalog.write(() => catalog.runs.delete(runId));
  if (!dir || !ownsRunDir(catalog, dir) || !fs.existsSync(dir)) return null;
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

export { directionName };
