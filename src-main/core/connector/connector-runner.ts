// The caller's side of the connector worker: a promise for the run's summary, its events, cancel.
import { spawnWorker } from '../workers.ts';
import type { ConnectorJob } from './connector-worker.ts';
import { ConnectorDataError } from './pair-data.ts';
import type { RunEvent, RunSummary } from './run.ts';

export function connectorInWorker(catalogFile: string, job: ConnectorJob, onEvent: (e: RunEvent) => void, signal: AbortSignal): Promise<RunSummary> {
  const worker = spawnWorker(new URL('./connector-worker.ts', import.meta.url), 'connector-worker', { catalogFile, job });
  const onAbort = (): void => worker.postMessage({ cancel: true });
  signal.addEventListener('abort', onAbort, { once: true });
  return new Promise<RunSummary>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: { kind: 'event'; event: RunEvent } | { kind: 'result'; summary: RunSummary } | { kind: 'error'; message: string; user: boolean }) => {
      if (m.kind === 'event') onEvent(m.event);
      else {
        settled = true;
        if (m.kind === 'result') resolve(m.summary);
        // Errors cross the thread boundary as text; user-facing ones (bad requests, missing data) stay user errors.
        else reject(m.user ? new ConnectorDataError(m.message) : new Error(m.message));
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the connector worker exited unexpectedly (code ${code})`));
    });
  }).finally(() => signal.removeEventListener('abort', onAbort));
}
