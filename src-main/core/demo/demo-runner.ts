// The caller's side of the demo job: a promise for the demo's result, its progress, cancel.
// Importing, embedding and training are minutes of work that must not block the server or
// Electron's main thread, and the native memory they take (ONNX Runtime's arenas, every vector)
// must go back to the system when they end: the demo runs in a child process, as training does,
// so a server that goes on serving after it (altmoe demo, the "Try the demo" job) stays small.
import { UserError } from '../util/errors.ts';
import { runJob } from '../util/job-host.ts';
import type { DemoOptions, DemoProgress, DemoResult } from './demo.ts';

export interface DemoJobData {
  catalogFile: string;
  options: Pick<DemoOptions, 'items' | 'budgetSeconds' | 'threads'>;
}

/** What the demo's process sends back: progress, or a warning to show as it comes. */
export type DemoUpdate = DemoProgress | { warning: string };

export function demoInWorker(catalogFile: string, options: DemoJobData['options'], onProgress: (p: DemoProgress) => void, signal: AbortSignal, onWarning?: (message: string) => void): Promise<DemoResult> {
  const data: DemoJobData = { catalogFile, options };
  return runJob<DemoUpdate, DemoResult>('demo', data, {
    onUpdate: (u) => ('warning' in u ? onWarning?.(u.warning) : onProgress(u)),
    signal,
    process: true,
    userError: (message) => new UserError(message),
  });
}
