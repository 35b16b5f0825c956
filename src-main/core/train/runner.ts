// Starts a training job in a worker thread: the caller (CLI, server, Electron main) stays responsive,
// receives progress events, and can cancel; a job restarted with resume continues from its checkpoint.
import { jobResult, spawnWorker } from '../workers.ts';
import type { TrainData, TrainEvent, TrainJob } from './trainer.ts';

export interface TrainingHandle {
  /** Asks the job to stop after the current step; it saves a checkpoint and ends with reason 'cancelled'. */
  cancel(): void;
  done: Promise<{ step: number; loss: number }>;
}

export function startTraining(job: TrainJob, data: TrainData, onEvent: (e: TrainEvent) => void): TrainingHandle {
  const stop = new SharedArrayBuffer(4);
  const worker = spawnWorker(new URL('./worker.ts', import.meta.url), 'train-worker', { job, data, stop });
  const done = jobResult<TrainEvent, { step: number; loss: number }>(worker, onEvent, (message) => new Error(message));
  return { cancel: () => Atomics.store(new Int32Array(stop), 0, 1), done };
}
