// Runs one training job off the caller's thread. Cancellation comes through a shared flag
// (session.run blocks this thread, so messages would only be read between steps anyway).
import { parentPort, workerData } from 'node:worker_threads';
import { train, type TrainData, type TrainJob } from './trainer.ts';

const { job, data, stop } = workerData as { job: TrainJob; data: TrainData; stop: SharedArrayBuffer };
const flag = new Int32Array(stop);
try {
  const result = await train(job, data, (e) => parentPort!.postMessage({ kind: 'event', event: e }), () => Atomics.load(flag, 0) === 1);
  parentPort!.postMessage({ kind: 'result', result });
} catch (err) {
  parentPort!.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
}
