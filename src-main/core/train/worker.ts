// Runs one training job off the caller's thread. Cancellation comes through a shared flag
// (session.run blocks this thread, so messages would only be read between steps anyway).
import { parentPort, workerData } from 'node:worker_threads';
import { postJobOutcome } from '../workers.ts';
import { train, type TrainData, type TrainJob } from './trainer.ts';

const { job, data, stop } = workerData as { job: TrainJob; data: TrainData; stop: SharedArrayBuffer };
const flag = new Int32Array(stop);
const post = (m: unknown): void => parentPort!.postMessage(m);
await postJobOutcome(post, () => train(job, data, (e) => post({ kind: 'update', update: e }), () => Atomics.load(flag, 0) === 1));
