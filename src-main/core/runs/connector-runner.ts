// The caller's side of a connector run (train or resume) in its own child process: besides the
// training steps (their own worker, see train/runner.ts), a run reads every paired vector from the
// catalog, measures validation recall after each chunk and fits the test baselines (ridge, CCA):
// seconds of work that must not block the server or Electron's main thread, and native memory that
// goes back to the system when the process ends.
import type { Provider } from '../onnx/runtime.ts';
import { runJob } from '../util/job-host.ts';
import { ConnectorDataError } from './pair-data.ts';
import type { RunEvent, RunSummary } from './events.ts';
import type { ConnectorRunOptions } from './config.ts';

export type ConnectorJob = { kind: 'train'; options: ConnectorRunOptions } | { kind: 'resume'; runId: number; exec: { threads?: number; provider?: Provider } };

export interface ConnectorJobData {
  catalogFile: string;
  job: ConnectorJob;
}

export function connectorInWorker(catalogFile: string, job: ConnectorJob, onEvent: (e: RunEvent) => void, signal: AbortSignal): Promise<RunSummary> {
  const data: ConnectorJobData = { catalogFile, job };
  return runJob('connector', data, { onUpdate: onEvent, signal, process: true, userError: (message) => new ConnectorDataError(message) });
}
