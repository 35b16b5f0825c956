import type { DType, Dim, FloatType, Graph, Tensor } from '../onnx/graph.ts';

/** How a parameter starts (drawn from the run's seeded RNG). */
export type Init = { kind: 'zeros' } | { kind: 'ones' } | { kind: 'normal'; std: number } | { kind: 'uniform'; limit: number };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
}

/** A column of training data consumed per step; its first dim is the batch ('N'). */
export interface DataInput {
  name: string;
  dtype: Extract<DType, 'float32' | 'float64' | 'int64'>;
  shape: Dim[];
}

/** A dropout keep-mask the trainer feeds each training step (1 with probability 1 - p). */
export interface MaskInput {
  name: string;
  shape: Dim[];
  p: number;
}

export interface ForwardResult {
  loss: Tensor;
  /** Named outputs (predictions, embeddings...) for evaluation and inference. */
  outputs: Record<string, Tensor>;
  /** Extra scalars or small tensors reported with every step (e.g. expert load). */
  metrics?: Record<string, Tensor>;
}

/**
 * One training task of a model: the data it reads, the parameters it updates, and how to build
 * its forward pass. Alt-MoE has one task per direction (image->text, text->image, ...), trained in
 * turn; simple models have a single task.
 */
export interface TaskSpec {
  name: string;
  inputs: DataInput[];
  masks: MaskInput[];
  /** Parameters this task's steps update (null: all). */
  trainable: string[] | null;
  forward(g: Graph, inputs: Record<string, Tensor>, params: Record<string, Tensor>, training: boolean): ForwardResult;
}

/**
 * A trainable model: its parameters and tasks. Built from a JSON config by a registry, so a
 * checkpoint's config rebuilds the same graphs.
 */
export interface ModelSpec {
  config: { kind: string } & Record<string, unknown>;
  floatType: FloatType;
  params: ParamSpec[];
  /** Trained in turn, one optimizer step each, cycling (the alternating schedule). */
  tasks: TaskSpec[];
}

/** How a model's graphs dispatch tokens to experts: 'dense' for providers without NonZero, e.g. WebGPU. */
export type Dispatch = 'sparse' | 'dense';

/** How a model's graphs are built, not what they compute: either way gives the same function. */
export interface BuildOptions {
  dispatch?: Dispatch;
}

/**
 * Builds a model from its JSON config (a checkpoint's config rebuilds the same graphs). The trainer
 * is handed one, so the engine knows no model; model/build.ts is the app's.
 */
export type ModelBuilder = (config: { kind: string } & Record<string, unknown>, build?: BuildOptions) => ModelSpec;
