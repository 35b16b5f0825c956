// The caller's side of the connector worker: a promise for the run's summary, its events, cancel.
import { jobResult, spawnJobProcess } from '../workers.ts';
import type { ConnectorJob } from './connector-worker.ts';
import { ConnectorDataError } from './pair-data.ts';
import type { RunEvent, RunSummary } from './run.ts';

export function connectorInWorker(catalogFile: string, job: ConnectorJob, onEvent: (e: RunEvent) => void, signal: AbortSignal): Promise<RunSummary> {
  const worker = spawnJobProcess(new URL('./connector-worker.ts', import.meta.url), 'connector-worker', { catalogFile, job });
  const onAbort = (): void => worker.postMessage({ cancel: true });
  signal.addEventListener('abort', onAbort, { once: true });
  return jobResult<RunEvent, RunSummary>(worker, onEvent, (message) => new ConnectorDataError(message)).finally(() => signal.removeEventListener('abort', onAbort));
}
