// Runs one training job off the caller's thread. Cancellation comes through a shared flag
// (session.run blocks this thread, so messages would only be read between steps anyway); so does
// the answer to a hold (see train): the worker posts it and waits on the shared control words.
import { parentPort, workerData } from 'node:worker_threads';
import { postJobOutcome } from '../workers.ts';
import { HOLD_ANSWERED, HOLD_TARGET } from './runner.ts';
import { train, type TrainData, type TrainJob } from './trainer.ts';

const { job, data, stop, control } = workerData as { job: TrainJob; data: TrainData; stop: SharedArrayBuffer; control: SharedArrayBuffer | null };
const flag = new Int32Array(stop);
const post = (m: unknown): void => parentPort!.postMessage(m);
const words = control ? new Int32Array(control) : null;
const hold = words
  ? async (step: number): Promise<number> => {
      Atomics.store(words, HOLD_ANSWERED, 0);
      post({ kind: 'update', update: { type: 'hold', step } });
      Atomics.wait(words, HOLD_ANSWERED, 0);
      return Atomics.load(words, HOLD_TARGET);
    }
  : undefined;
await postJobOutcome(post, () => train(job, data, (e) => post({ kind: 'update', update: e }), () => Atomics.load(flag, 0) === 1, hold));
