// Runs the demo (demo.ts) in a worker thread with its own catalog connection: importing, embedding
// and fitting baselines are minutes of work that must not block the server or Electron's main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { Catalog } from '../catalog/catalog.ts';
import { postJobOutcome } from '../workers.ts';
import { runDemo, type DemoOptions } from './demo.ts';

const { catalogFile, options } = workerData as { catalogFile: string; options: Pick<DemoOptions, 'items' | 'budgetSeconds' | 'threads'> };
const port = parentPort!;
const abort = new AbortController();
port.on('message', (m: { cancel: true }) => {
  if (m.cancel) abort.abort();
});

const catalog = Catalog.open(catalogFile);
const post = (m: unknown): void => port.postMessage(m);
try {
  await postJobOutcome(post, () => runDemo(catalog, { ...options, signal: abort.signal, onProgress: (p) => post({ kind: 'update', update: p }) }));
} finally {
  catalog.close();
  port.close();
}
