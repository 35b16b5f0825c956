// Starts an engine worker thread the same way from the TypeScript sources (CLI via tsx, tests) and
// from the built app, where electron-vite emits each worker as out/main/<name>.js next to the main chunk.
import { Worker } from 'node:worker_threads';

/**
 * @param entry the worker's source module (a URL relative to the caller's module)
 * @param builtName its name in the build (see electron.vite.config.ts)
 */
export function spawnWorker(entry: URL, builtName: string, workerData: unknown): Worker {
  const fromSources = entry.pathname.endsWith('.ts') && import.meta.url.endsWith('.ts');
  return fromSources
    ? new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { ...(workerData as object), entry: entry.href } })
    : new Worker(new URL(`./${builtName}.js`, import.meta.url), { workerData });
}
