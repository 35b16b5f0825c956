// A duplicate scan in a worker thread with its own read-only catalog connection: a near-duplicate
// search over 100k vectors is seconds of native work that must not hold the server's request thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { DuplicatesRequest } from '../../../src-shared/api.ts';
import { Catalog } from '../catalog/catalog.ts';
import { postJobOutcome } from '../workers.ts';
import { findDuplicates } from './report.ts';

const { catalogFile, request } = workerData as { catalogFile: string; request: DuplicatesRequest };
const port = parentPort!;
const catalog = Catalog.open(catalogFile, { readonly: true });
try {
  await postJobOutcome((m) => port.postMessage(m), () => findDuplicates(catalog, request, (done, total) => port.postMessage({ kind: 'update', update: { done, total } })));
} finally {
  catalog.close();
  port.close();
}
