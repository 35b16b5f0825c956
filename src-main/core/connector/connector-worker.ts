// Runs one connector training job (train or resume) in a worker thread with its own catalog
// connection. Besides the training steps (their own worker, see train/runner.ts), a run reads every
// paired vector from the catalog, measures validation recall after each chunk and fits the test
// baselines (ridge, CCA): seconds of work that must not block the server or Electron's main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { Catalog } from '../catalog/catalog.ts';
import type { Provider } from '../onnx/runtime.ts';
import { postJobOutcome } from '../workers.ts';
import { resumeConnector, trainConnector, type ConnectorRunOptions } from './run.ts';

export type ConnectorJob = { kind: 'train'; options: ConnectorRunOptions } | { kind: 'resume'; runId: number; exec: { threads?: number; provider?: Provider } };

const { catalogFile, job } = workerData as { catalogFile: string; job: ConnectorJob };
const port = parentPort!;
const abort = new AbortController();
port.on('message', (m: { cancel: true }) => {
  if (m.cancel) abort.abort();
});

const catalog = Catalog.open(catalogFile);
const post = (m: unknown): void => port.postMessage(m);
try {
  const onEvent = (event: unknown): void => post({ kind: 'update', update: event });
  await postJobOutcome(post, () => (job.kind === 'train' ? trainConnector(catalog, job.options, onEvent, abort.signal) : resumeConnector(catalog, job.runId, onEvent, abort.signal, job.exec)));
} finally {
  catalog.close();
  port.close();
}
