// The caller's side of the demo job: a promise for the demo's result, its progress, cancel.
// Importing, embedding and fitting baselines are minutes of work that must not block the server or
// Electron's main thread.
import { UserError } from '../util/errors.ts';
import { runJob } from '../util/job-host.ts';
import type { DemoOptions, DemoProgress, DemoResult } from './demo.ts';

export interface DemoJobData {
  catalogFile: string;
  options: Pick<DemoOptions, 'items' | 'budgetSeconds' | 'threads'>;
}

export function demoInWorker(catalogFile: string, options: DemoJobData['options'], onProgress: (p: DemoProgress) => void, signal: AbortSignal): Promise<DemoResult> {
  const data: DemoJobData = { catalogFile, options };
  return runJob('demo', data, { onUpdate: onProgress, signal, userError: (message) => new UserError(message) });
}
