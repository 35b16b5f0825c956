// The body of a worker thread that runs one cancellable job on its own catalog connection (the
// connector and demo workers): cancel arrives as a message, updates and the outcome go back as
// JobMessages (workers.ts), and the connection closes however the job ends.
import { parentPort, workerData } from 'node:worker_threads';
import { Catalog } from './catalog/catalog.ts';
import { postJobOutcome } from './workers.ts';

interface Port {
  on(event: 'message', listener: (m: { cancel?: true }) => void): void;
  postMessage(m: unknown): void;
  close(): void;
}

/** This job's data: the thread's workerData, or what spawnJobProcess passed a child process. */
export function jobData<T>(): T {
  return (parentPort ? workerData : JSON.parse(process.env.ALTMOE_JOB_DATA ?? 'null')) as T;
}

/** The channel to the parent: the thread's port, or a child process's IPC channel. */
function parent(): Port {
  if (parentPort) return parentPort;
  // The parent is gone (closed, crashed, killed): so is this job, as a thread would be.
  const gone = (): never => process.exit(1);
  process.on('disconnect', gone);
  let flushed = Promise.resolve();
  return {
    on: (event, listener) => void process.on(event, listener),
    postMessage: (m) => {
      flushed = new Promise((resolve) => process.send?.(m, undefined, undefined, () => resolve()));
    },
    // The outcome is on its way before the channel closes; the process then ends on its own.
    close: () =>
      void flushed.then(() => {
        process.off('disconnect', gone);
        process.disconnect();
      }),
  };
}

export async function runCatalogJob<R>(catalogFile: string, job: (catalog: Catalog, signal: AbortSignal, update: (u: unknown) => void) => Promise<R>): Promise<void> {
  const port = parent();
  const abort = new AbortController();
  port.on('message', (m: { cancel?: true }) => {
    if (m.cancel) abort.abort();
  });
  const catalog = Catalog.open(catalogFile);
  const post = (m: unknown): void => port.postMessage(m);
  try {
    await postJobOutcome(post, () => job(catalog, abort.signal, (update) => post({ kind: 'update', update })));
  } finally {
    catalog.close();
    port.close();
  }
}
