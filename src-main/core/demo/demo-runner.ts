// The caller's side of the demo worker: a promise for the demo's result, its progress, cancel.
import { UserError } from '../errors.ts';
import { jobResult, spawnWorker } from '../workers.ts';
import type { DemoOptions, DemoProgress, DemoResult } from './demo.ts';

export function demoInWorker(catalogFile: string, options: Pick<DemoOptions, 'items' | 'budgetSeconds' | 'threads'>, onProgress: (p: DemoProgress) => void, signal: AbortSignal): Promise<DemoResult> {
  const worker = spawnWorker(new URL('./demo-worker.ts', import.meta.url), 'demo-worker', { catalogFile, options });
  const onAbort = (): void => worker.postMessage({ cancel: true });
  signal.addEventListener('abort', onAbort, { once: true });
  return jobResult<DemoProgress, DemoResult>(worker, onProgress, (message) => new UserError(message)).finally(() => signal.removeEventListener('abort', onAbort));
}
