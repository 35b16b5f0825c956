// The caller's side of the import worker: a promise for the report, progress callbacks, cancel.
import type { ImportFormat, ImportReport, Progress } from '../../../src-shared/types.ts';
import { spawnWorker } from '../workers.ts';
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
  return new Promise<ImportReport>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: { kind: 'progress'; progress: Progress } | { kind: 'result'; report: ImportReport } | { kind: 'error'; message: string; user: boolean }) => {
      if (m.kind === 'progress') onProgress(m.progress);
      else {
        settled = true;
        if (m.kind === 'result') resolve(m.report);
        // Errors cross the thread boundary as text; user-facing ones (bad input) stay ImportErrors.
        else reject(m.user ? new ImportError(m.message) : new Error(m.message));
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the import worker exited unexpectedly (code ${code})`));
    });
  }).finally(() => signal.removeEventListener('abort', onAbort));
}
