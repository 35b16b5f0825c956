// Lays out a map (map.ts) in a worker thread with its own catalog connection: UMAP is tens of
// seconds of JavaScript that must not block the server or Electron's main thread.
import { workerData } from 'node:worker_threads';
import { runCatalogJob } from '../catalog-job-worker.ts';
import { computeMap, type MapOptions, type MapSource } from './map.ts';

const { catalogFile, source, options } = workerData as { catalogFile: string; source: MapSource; options: Pick<MapOptions, 'seed' | 'sample' | 'threads' | 'force'> };
await runCatalogJob(catalogFile, (catalog, signal, update) => computeMap(catalog, source, { ...options, signal, onProgress: update }));
