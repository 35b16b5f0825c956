// The caller's side of the duplicates worker.
import type { DuplicatesRequest, DuplicatesResult } from '../../../src-shared/api.ts';
import { jobResult, spawnWorker } from '../workers.ts';
import { DuplicatesError } from './find.ts';

export function duplicatesInWorker(catalogFile: string, request: DuplicatesRequest, onProgress: (p: { done: number; total: number }) => void = () => {}): Promise<DuplicatesResult> {
  const worker = spawnWorker(new URL('./duplicates-worker.ts', import.meta.url), 'duplicates-worker', { catalogFile, request });
  return jobResult<{ done: number; total: number }, DuplicatesResult>(worker, onProgress, (message) => new DuplicatesError(message));
}
