// Starts a training job in a worker thread: the caller (CLI, server, Electron main) stays responsive,
// receives progress events, and can cancel; a job restarted with resume continues from its checkpoint.
import { jobResult, spawnWorker } from '../workers.ts';
import type { TrainData, TrainEvent, TrainJob } from './trainer.ts';

export interface TrainingHandle {
  /** Asks the job to stop after the current step; it saves a checkpoint and ends with reason 'cancelled'. */
  cancel(): void;
  done: Promise<{ step: number; loss: number }>;
}

/** Indices of the shared control words of a held job: answered (0/1) and the step to go on to. */
export const HOLD_ANSWERED = 0;
export const HOLD_TARGET = 1;

/**
 * @param hold called each time the job reaches its target (checkpoint saved, worker waiting): the
 *   step to train to next, or one not beyond `step` to end the job (see train in trainer.ts).
 */
export function startTraining(job: TrainJob, data: TrainData, onEvent: (e: TrainEvent) => void, hold?: (step: number) => Promise<number>): TrainingHandle {
  const stop = new SharedArrayBuffer(4);
  const control = hold ? new SharedArrayBuffer(8) : null;
  const answer = (target: number): void => {
    const words = new Int32Array(control!);
    Atomics.store(words, HOLD_TARGET, target);
    Atomics.store(words, HOLD_ANSWERED, 1);
    Atomics.notify(words, HOLD_ANSWERED);
  };
  const worker = spawnWorker(new URL('./worker.ts', import.meta.url), 'train-worker', { job, data, stop, control });
  const onUpdate = (e: TrainEvent | { type: 'hold'; step: number }): void => {
    if (e.type !== 'hold') return onEvent(e);
    // A failing hold ends the job (0 is never beyond a step); the caller reports its own error.
    hold!(e.step).then(answer, () => answer(0));
  };
  const done = jobResult<TrainEvent | { type: 'hold'; step: number }, { step: number; loss: number }>(worker, onUpdate, (message) => new Error(message));
  return { cancel: () => Atomics.store(new Int32Array(stop), 0, 1), done };
}
