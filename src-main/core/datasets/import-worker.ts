// Runs one import in a worker thread with its own catalog connection: parsing a large caption file and
// its single write transaction take seconds, which must not freeze the server or Electron's main thread.
// Cancellation comes through a shared flag, since the write loop never yields to read messages.
import { parentPort, workerData } from 'node:worker_threads';
import type { ImportFormat } from '../../../src-shared/types.ts';
import { Catalog } from '../catalog/catalog.ts';
import { postJobOutcome } from '../workers.ts';
import { importDataset, type DatasetImportOptions } from './import.ts';

const { catalogFile, format, source, options, stop } = workerData as {
  catalogFile: string;
  format: Exclude<ImportFormat, 'npy'>;
  source: string;
  options: Omit<DatasetImportOptions, 'onProgress' | 'signal'>;
  stop: SharedArrayBuffer;
};
const flag = new Int32Array(stop);
const signal = {
  get aborted() {
    return Atomics.load(flag, 0) === 1;
  },
  throwIfAborted() {
    if (Atomics.load(flag, 0) === 1) throw new DOMException('the import was cancelled', 'AbortError');
  },
} as AbortSignal;

const catalog = Catalog.open(catalogFile);
const post = (m: unknown): void => parentPort!.postMessage(m);
try {
  await postJobOutcome(post, () => importDataset(catalog, format, source, { ...options, signal, onProgress: (p) => post({ kind: 'update', update: p }) }));
} finally {
  catalog.close();
}
