// Starts an engine worker thread the same way from the TypeScript sources (CLI via tsx, tests) and
// from the built app, where electron-vite emits each worker as out/main/<name>.js next to the main chunk.
import { fork } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { asFileSystemError, UserError } from './errors.ts';

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

/** What a one-job worker posts: updates while it works, then its result or its error. */
export type JobMessage<U, R> = { kind: 'update'; update: U } | { kind: 'result'; result: R } | { kind: 'error'; message: string; user: boolean };

/**
 * The result of a worker that runs one job (see JobMessage): updates go to onUpdate; an error comes
 * back as userError(message) when the worker marked it user-facing (bad input), else as a plain Error.
 */
export function jobResult<U, R>(worker: EventEmitter, onUpdate: (u: U) => void, userError: (message: string) => Error): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: JobMessage<U, R>) => {
      if (m.kind === 'update') return onUpdate(m.update);
      settled = true;
      if (m.kind === 'result') resolve(m.result);
      // Errors cross the thread boundary as text: the flag keeps user-facing ones user errors.
      else reject(m.user ? userError(m.message) : new Error(m.message));
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code: number | null) => {
      if (!settled) reject(new Error(`a worker exited unexpectedly (code ${code})`));
    });
  });
}

/** Runs a one-job worker's job and posts its outcome (see jobResult). */
export async function postJobOutcome<R>(post: (m: JobMessage<never, R>) => void, run: () => Promise<R>): Promise<void> {
  try {
    post({ kind: 'result', result: await run() });
  } catch (caught) {
    const err = asFileSystemError(caught);
    post({ kind: 'error', message: err instanceof Error ? err.message : String(err), user: err instanceof UserError });
  }
}

/** A job in its own process, driven like a worker thread: messages both ways, then its exit. */
export interface JobProcess extends EventEmitter {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

/**
 * Starts a one-job worker as a child process instead of a thread, for jobs that allocate a lot of
 * native memory (training: ONNX Runtime's arenas, every paired vector): when a process ends, the
 * system gets all of it back, whereas memory a finished thread freed mostly stays with this
 * process (the allocator keeps it). The child reads its data with jobData() and ends when this
 * process does (its IPC channel closes), as a thread would.
 */
export function spawnJobProcess(entry: URL, builtName: string, data: unknown): JobProcess {
  // The desktop app's packages turn Electron's RunAsNode fuse off (see electron-builder.json), so
  // its executable cannot be forked as Node: there the job runs as a thread, as before.
  if (process.versions.electron) return spawnWorker(entry, builtName, data);
  const fromSources = entry.pathname.endsWith('.ts') && import.meta.url.endsWith('.ts');
  const file = fromSources ? fileURLToPath(entry) : fileURLToPath(new URL(`./${builtName}.js`, import.meta.url));
  const child = fork(file, [], {
    execArgv: fromSources ? ['--import', 'tsx'] : [],
    serialization: 'advanced',
    env: { ...process.env, ALTMOE_JOB_DATA: JSON.stringify(data) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return Object.assign(child, {
    postMessage: (message: unknown) => void (child.connected && child.send(message as never)),
    terminate: () => void child.kill(),
  });
}
