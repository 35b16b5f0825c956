// Starts a training job in a worker thread: the caller (CLI, server, Electron main) stays responsive,
// receives progress events, and can cancel; a job restarted with resume continues from its checkpoint.
import { spawnWorker } from '../workers.ts';
import type { TrainData, TrainEvent, TrainJob } from './trainer.ts';

export interface TrainingHandle {
  /** Asks the job to stop after the current step; it saves a checkpoint and ends with reason 'cancelled'. */
  cancel(): void;
  done: Promise<{ step: number; loss: number }>;
}

export function startTraining(job: TrainJob, data: TrainData, onEvent: (e: TrainEvent) => void): TrainingHandle {
  const stop = new SharedArrayBuffer(4);
  const worker = spawnWorker(new URL('./worker.ts', import.meta.url), 'train-worker', { job, data, stop });
  const done = new Promise<{ step: number; loss: number }>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: { kind: 'event'; event: TrainEvent } | { kind: 'result'; result: { step: number; loss: number } } | { kind: 'error'; message: string }) => {
      if (m.kind === 'event') onEvent(m.event);
      else if (m.kind === 'result') {
        settled = true;
        resolve(m.result);
      } else {
        settled = true;
        reject(new Error(m.message));
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the training worker exited unexpectedly (code ${code})`));
    });
  });
  return { cancel: () => Atomics.store(new Int32Array(stop), 0, 1), done };
}
