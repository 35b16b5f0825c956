// The one worker entry of every background job (util/job-host.ts starts it as a thread, or as a
// child process for jobs that want their memory back): it runs the registered body of the job's
// kind (kinds.ts) with one cancel signal, posts its updates, then its result or its error.
import { parentPort, workerData } from 'node:worker_threads';
import type { JobEnvelope } from '../util/job-host.ts';
import { postJobOutcome } from '../util/workers.ts';
import { JOB_BODIES } from './kinds.ts';

interface Port {
  on(event: 'message', listener: (m: { cancel?: true }) => void): void;
  postMessage(m: unknown): void;
  close(): void;
}

/** The channel to the caller: the thread's port, or a child process's IPC channel. */
function parent(): Port {
  if (parentPort) return parentPort;
  // The caller is gone (closed, crashed, killed): so is this job, as a thread would be.
  const gone = (): never => process.exit(1);
  process.on('disconnect', gone);
  // Ctrl-C in a terminal reaches the whole process group: the caller decides (it sends a cancel,
  // and the job stops at a safe point) rather than this process dying mid-write.
  process.on('SIGINT', () => undefined);
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

/**
 * The job's signal: aborted by a cancel message, or by the shared stop word, which a loop that
 * never yields to read messages still sees (reading `aborted` checks it).
 */
function cancelSignal(port: Port, stop: SharedArrayBuffer | undefined): AbortSignal {
  const controller = new AbortController();
  port.on('message', (m) => {
    if (m.cancel) controller.abort();
  });
  if (!stop) return controller.signal;
  const word = new Int32Array(stop);
  const real = controller.signal;
  const check = (): boolean => {
    if (!real.aborted && Atomics.load(word, 0) === 1) controller.abort();
    return real.aborted;
  };
  return {
    get aborted() {
      return check();
    },
    get reason() {
      check();
      return real.reason;
    },
    throwIfAborted() {
      if (check()) throw new DOMException('the job was cancelled', 'AbortError');
    },
    addEventListener: real.addEventListener.bind(real),
    removeEventListener: real.removeEventListener.bind(real),
    dispatchEvent: real.dispatchEvent.bind(real),
    get onabort() {
      return real.onabort;
    },
    set onabort(f) {
      real.onabort = f;
    },
  } as unknown as AbortSignal;
}

const envelope = (parentPort ? workerData : JSON.parse(process.env.ALTMOE_JOB_DATA ?? 'null')) as JobEnvelope;
const port = parent();
const signal = cancelSignal(port, envelope.stop);
const post = (m: unknown): void => port.postMessage(m);
try {
  const body = JOB_BODIES[envelope.kind];
  await postJobOutcome(post, () => body(envelope.data as never, { signal, update: (update: unknown) => post({ kind: 'update', update }) }));
} finally {
  port.close();
}
