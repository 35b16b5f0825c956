// The caller's side of a duplicate scan: a near-duplicate search over 100k vectors is seconds of
// native work that must not hold the server's request thread.
import type { DuplicatesRequest, DuplicatesResult } from '../../../src-shared/api.ts';
import { runJob } from '../util/job-host.ts';
import { DuplicatesError } from './find.ts';

export interface DuplicatesJobData {
  catalogFile: string;
  request: DuplicatesRequest;
}

export function duplicatesInWorker(catalogFile: string, request: DuplicatesRequest, onProgress: (p: { done: number; total: number }) => void = () => {}): Promise<DuplicatesResult> {
  const data: DuplicatesJobData = { catalogFile, request };
  return runJob('duplicates', data, { onUpdate: onProgress, userError: (message) => new DuplicatesError(message) });
}
