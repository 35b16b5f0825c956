// Starts a training job in a worker thread (util/job-host.ts, kind 'train'): the caller (CLI,
// server, Electron main) stays responsive, receives progress events, and can cancel; a job
// restarted with resume continues from its checkpoint.
import { runJob } from '../util/job-host.ts';
import type { TrainData, TrainEvent, TrainJob } from './job.ts';

export interface TrainingHandle {
  /** Asks the job to stop after the current step; it saves a checkpoint and ends with reason 'cancelled'. */
  cancel(): void;
  done: Promise<{ step: number; loss: number }>;
}

/** What the 'train' job kind receives. */
export interface TrainJobData {
  job: TrainJob;
  data: TrainData;
  /** The shared words of a held job (see holdOn), or null. */
  control: SharedArrayBuffer | null;
}

/** Indices of the shared control words of a held job: answered (0/1) and the step to go on to. */
const HOLD_ANSWERED = 0;
const HOLD_TARGET = 1;

type HoldUpdate = { type: 'hold'; step: number };

/**
 * @param hold called each time the job reaches its target (checkpoint saved, worker waiting): the
 *   step to train to next, or one not beyond `step` to end the job (see train in trainer.ts).
 */
export function startTraining(job: TrainJob, data: TrainData, onEvent: (e: TrainEvent) => void, hold?: (step: number) => Promise<number>): TrainingHandle {
  const control = hold ? new SharedArrayBuffer(8) : null;
  const answer = (target: number): void => {
    const words = new Int32Array(control!);
    Atomics.store(words, HOLD_TARGET, target);
    Atomics.store(words, HOLD_ANSWERED, 1);
    Atomics.notify(words, HOLD_ANSWERED);
  };
  const onUpdate = (e: TrainEvent | HoldUpdate): void => {
    if (e.type !== 'hold') return onEvent(e);
    // A failing hold ends the job (0 is never beyond a step); the caller reports its own error.
    hold!(e.step).then(answer, () => answer(0));
  };
  const abort = new AbortController();
  const payload: TrainJobData = { job, data, control };
  const done = runJob<TrainEvent | HoldUpdate, { step: number; loss: number }>('train', payload, { onUpdate, userError: (message) => new Error(message), signal: abort.signal });
  return { cancel: () => abort.abort(), done };
}

/**
 * The job's side of a hold: posts the step it reached and waits (the thread blocks: session.run
 * would keep it from reading messages anyway) until the caller answers with the step to go on to.
 */
export function holdOn(control: SharedArrayBuffer | null, update: (u: HoldUpdate) => void): ((step: number) => Promise<number>) | undefined {
  if (!control) return undefined;
  const words = new Int32Array(control);
  return async (step) => {
    Atomics.store(words, HOLD_ANSWERED, 0);
    update({ type: 'hold', step });
    Atomics.wait(words, HOLD_ANSWERED, 0);
    return Atomics.load(words, HOLD_TARGET);
  };
}
