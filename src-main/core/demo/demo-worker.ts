// Runs the demo (demo.ts) in a worker thread with its own catalog connection: importing, embedding
// and fitting baselines are minutes of work that must not block the server or Electron's main thread.
import { workerData } from 'node:worker_threads';
import { runCatalogJob } from '../catalog-job-worker.ts';
import { runDemo, type DemoOptions } from './demo.ts';

const { catalogFile, options } = workerData as { catalogFile: string; options: Pick<DemoOptions, 'items' | 'budgetSeconds' | 'threads'> };
await runCatalogJob(catalogFile, (catalog, signal, update) => runDemo(catalog, { ...options, signal, onProgress: update }));
