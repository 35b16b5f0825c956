// A train request (the API's, or the CLI's flags made into one) as the engine's run options, and
// the checks a request gets before a job is created for it.
import type { TrainRequest } from '../../../src-shared/api.ts';
import { definedOnly } from '../../../src-shared/objects.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { isProcessAlive, jobParams } from '../catalog/job-records.ts';
import { ConnectorDataError } from './pair-data.ts';
import { planRun } from './plan.ts';
import { type ConnectorRunOptions } from './config.ts';

/** Only what the request gives: an absent option stays absent (the preset decides it). */
export function trainOptions(p: TrainRequest, runsDir: string, exec: { threads?: number } = {}): ConnectorRunOptions {
  return {
    ...definedOnly({ name: p.name, datasets: p.datasets, encoders: p.encoders, seed: p.seed, budgetSeconds: p.budgetSeconds, trials: p.trials, trainPairs: p.trainPairs, duplicates: p.duplicates, unpaired: p.unpaired, preset: p.preset, provider: p.provider, threads: exec.threads }),
    pairs: p.pairs,
    runsDir,
    overrides: definedOnly({ steps: p.steps, batchSize: p.batchSize, evalEvery: p.evalEvery, patience: p.patience, lr: p.lr, connector: p.connector, schedule: p.schedule, loss: p.loss }),
  };
}

/** Everything planRun checks (encoders, datasets, paired vectors, splits, memory), writing nothing. */
export function checkTrainRequest(catalog: Catalog, options: ConnectorRunOptions): void {
  planRun(catalog, options, 'check');
}

/** A run can resume when it exists, is not done and no live process is training it. */
export function checkResumable(catalog: Catalog, runId: number): void {
  const run = catalog.runs.get(runId);
  if (!run) throw new ConnectorDataError(`no run ${runId}`);
  if (run.status === 'done') throw new ConnectorDataError(`run ${runId} is done; evaluate it with "altmoe eval ${runId}" or start a new run`);
  if (run.status === 'running') {
    const owner = catalog.jobs
      .withStatus('running')
      .map((j) => jobParams(j))
      .find((p) => p.runId === runId);
    if (!owner || (typeof owner.pid === 'number' && isProcessAlive(owner.pid))) throw new ConnectorDataError(`run ${runId} is running; cancel it first`);
  }
}
