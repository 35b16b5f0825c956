// Builds and registers an npm-shipped encoder (npm-encoders.ts) in a worker thread with its own
// catalog connection: GloVe's build parses a 300 MB JSON file, which must not block the server or
// Electron's main thread.
import { workerData } from 'node:worker_threads';
import { runCatalogJob } from '../catalog-job-worker.ts';
import { buildNpmEncoder, type NpmEncoderKind } from './npm-encoders.ts';

const { catalogFile, kind } = workerData as { catalogFile: string; kind: NpmEncoderKind };
await runCatalogJob(catalogFile, async (catalog) => {
  const r = await buildNpmEncoder(catalog, kind);
  return { name: r.name, modality: r.spec.modality, dim: r.spec.dim, status: r.status };
});
