// What a training job is asked to do, the data it reads, and the events it reports.
import type { OptimizerConfig } from '../onnx/optim.ts';
import { type Provider } from '../onnx/runtime.ts';
import { type Dataset } from './data.ts';

export interface TrainJob {
  /** Run folder: artifacts (train_step.onnx, eval.onnx...) and checkpoint.safetensors go here. */
  dir: string;
  model: { kind: string } & Record<string, unknown>;
  optimizer: OptimizerConfig;
  /** Optimizer steps to reach (a resumed run continues up to here). */
  steps: number;
  batchSize: number;
  accumulation?: number;
  seed: number;
  provider?: Provider;
  threads?: number;
  checkpointEvery: number;
  evalEvery?: number;
  evalBatchSize?: number;
  /**
   * Optimizer steps per ONNX Runtime run: a number (rounded down to whole cycles of the tasks;
   * 1: one train_step run per step), or 'auto' (default): as many as take about 2 s, at most 64,
   * so progress, cancellation and checkpoints stay responsive. The result does not depend on it.
   * Gradient accumulation always runs one step per run.
   */
  stepsPerRun?: number | 'auto';
  /** Continue from dir/checkpoint.safetensors when it exists. */
  resume?: boolean;
  /** Minimum milliseconds between progress events (default 250; 0: every step). */
  progressEveryMs?: number;
  /** Starting values for some parameters instead of their random init (e.g. data statistics). */
  initialValues?: Record<string, ArrayLike<number>>;
}

export type TrainEvent =
  | { type: 'started'; provider: Provider; step: number; resumed: boolean; parameters: number }
  /** `losses`: each task's (direction's) latest loss, so an alternating schedule reports every direction. */
  | { type: 'progress'; step: number; steps: number; task: string; loss: number; losses: Record<string, number>; lr: number; gradNorm: number; stepsPerSec: number; metrics: Record<string, number | number[]> }
  | { type: 'eval'; step: number; task: string; loss: number; metrics: Record<string, number | number[]> }
  | { type: 'checkpoint'; step: number; file: string }
  | { type: 'warning'; message: string }
  /** runs: ONNX Runtime training runs this session made (each covers one or more steps). */
  | { type: 'done'; step: number; reason: 'finished' | 'cancelled'; loss: number; runs: number };

export interface TrainData {
  /** Training rows per task (a single-task model's task is usually "main"). */
  train: Record<string, Dataset>;
  val?: Record<string, Dataset>;
}
