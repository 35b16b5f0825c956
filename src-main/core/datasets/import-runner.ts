// The caller's side of the import worker: a promise for the report, progress callbacks, cancel.
import type { ImportFormat, ImportReport, Progress } from '../../../src-shared/types.ts';
import { jobResult, spawnWorker } from '../workers.ts';
import { ImportError } from './errors.ts';
import type { DatasetImportOptions } from './import.ts';

export function importInWorker(
  catalogFile: string,
  format: Exclude<ImportFormat, 'npy'>,
  source: string,
  options: Omit<DatasetImportOptions, 'onProgress' | 'signal'>,
  onProgress: (p: Progress) => void,
  signal: AbortSignal,
): Promise<ImportReport> {
  const stop = new SharedArrayBuffer(4);
  const worker = spawnWorker(new URL('./import-worker.ts', import.meta.url), 'import-worker', { catalogFile, format, source, options, stop });
  const onAbort = (): void => {
    Atomics.store(new Int32Array(stop), 0, 1);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return jobResult<Progress, ImportReport>(worker, onProgress, (message) => new ImportError(message)).finally(() => signal.removeEventListener('abort', onAbort));
}
