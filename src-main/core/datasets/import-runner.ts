// The caller's side of an import job: a promise for the report, progress callbacks, cancel.
// Parsing a large caption file and its single write transaction take seconds, which must not freeze
// the server or Electron's main thread (jobs/kinds.ts runs it in the job worker).
import type { ImportFormat, ImportReport, Progress } from '../../../src-shared/types.ts';
import { runJob } from '../util/job-host.ts';
import { ImportError } from './errors.ts';
import type { DatasetImportOptions } from './import.ts';

export interface ImportJobData {
  catalogFile: string;
  format: Exclude<ImportFormat, 'npy'>;
  source: string;
  options: Omit<DatasetImportOptions, 'onProgress' | 'signal'>;
}

export function importInWorker(
  catalogFile: string,
  format: Exclude<ImportFormat, 'npy'>,
  source: string,
  options: Omit<DatasetImportOptions, 'onProgress' | 'signal'>,
  onProgress: (p: Progress) => void,
  signal: AbortSignal,
): Promise<ImportReport> {
  const data: ImportJobData = { catalogFile, format, source, options };
  return runJob<Progress, ImportReport>('import', data, { onUpdate: onProgress, signal, userError: (message) => new ImportError(message) });
}
