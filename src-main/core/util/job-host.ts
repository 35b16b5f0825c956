// The caller's side of every background job (import, embed-free catalog jobs, maps, the demo,
// duplicate scans, encoder builds, connector runs and their training loops): one worker entry
// (jobs/job-worker.ts, built as job-worker.js) runs the job of a registered kind (jobs/kinds.ts).
// One way to cancel: the signal sets a shared stop word (read by loops that never yield, such as an
// import's write transaction or a training step) and posts a cancel message (read by async jobs,
// and the only way into a child process). Updates and the outcome come back as JobMessages.
import { jobResult, spawnJobProcess, spawnWorker } from './workers.ts';

/**
 * The kinds of work the job worker runs (jobs/kinds.ts registers a body for each; one without fails
 * the type check). Not the kinds of recorded jobs a user sees (catalog/job-records.ts): a connector
 * run's training loop, say, is a worker job of its own inside one recorded train job.
 */
export const WORKER_KINDS = ['import', 'map', 'demo', 'duplicates', 'build-encoder', 'pull-encoder', 'connector', 'train'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

/** What the worker entry receives. */
export interface JobEnvelope {
  kind: WorkerKind;
  data: unknown;
  /** The shared stop word (absent in a child process, which shares no memory). */
  stop?: SharedArrayBuffer;
}

export interface JobOptions<U> {
  onUpdate?: (update: U) => void;
  /** Turns an error the job marked user-facing (bad input) back into the caller's error class. */
  userError: (message: string) => Error;
  signal?: AbortSignal;
  /**
   * Run in a child process instead of a thread, for jobs that allocate a lot of native memory
   * (training): the system gets it all back when the process ends (see spawnJobProcess).
   */
  process?: boolean;
}

const ENTRY = new URL('../jobs/job-worker.ts', import.meta.url);
export const JOB_WORKER = 'job-worker';

/** Starts a job of `kind` and resolves with its result. */
export function runJob<U, R>(kind: WorkerKind, data: unknown, o: JobOptions<U>): Promise<R> {
  const stop = o.process ? undefined : new SharedArrayBuffer(4);
  const envelope: JobEnvelope = { kind, data, ...(stop ? { stop } : {}) };
  const worker = o.process ? spawnJobProcess(ENTRY, JOB_WORKER, envelope) : spawnWorker(ENTRY, JOB_WORKER, envelope);
  const onAbort = (): void => {
    if (stop) Atomics.store(new Int32Array(stop), 0, 1);
    worker.postMessage({ cancel: true });
  };
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  return jobResult<U, R>(worker, o.onUpdate ?? (() => undefined), o.userError).finally(() => o.signal?.removeEventListener('abort', onAbort));
}
