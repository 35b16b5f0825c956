// Runs one connector training job (train or resume) in a child process (workers.ts spawnJobProcess:
// training's native memory goes back to the system when it ends) with its own catalog connection. Besides the training steps (their own worker, see train/runner.ts), a run reads every
// paired vector from the catalog, measures validation recall after each chunk and fits the test
// baselines (ridge, CCA): seconds of work that must not block the server or Electron's main thread.
import { jobData, runCatalogJob } from '../catalog-job-worker.ts';
import type { Provider } from '../onnx/runtime.ts';
import { resumeConnector, trainConnector, type ConnectorRunOptions } from './run.ts';

export type ConnectorJob = { kind: 'train'; options: ConnectorRunOptions } | { kind: 'resume'; runId: number; exec: { threads?: number; provider?: Provider } };

const { catalogFile, job } = jobData<{ catalogFile: string; job: ConnectorJob }>();
await runCatalogJob(catalogFile, (catalog, signal, update) =>
  job.kind === 'train' ? trainConnector(catalog, job.options, update, signal) : resumeConnector(catalog, job.runId, update, signal, job.exec),
);
