// The training artifacts: plain ONNX graphs for one optimizer step (forward + analytic backward +
// update), for gradient accumulation, for evaluation and for inference.
import { gradients } from '../onnx/autodiff.ts';
import { Graph, type ParamValues, type Tensor } from '../onnx/graph.ts';
import * as op from '../onnx/ops.ts';
import { applyOptimizer, stateNames, type OptimizerConfig } from '../onnx/optim.ts';
import type { ModelSpec, TaskSpec } from './spec.ts';

/** Names of the tensors a train step reads and writes, in a fixed order. */
export interface StepIO {
  data: string[];
  masks: string[];
  /** Every parameter (frozen ones are read, not written). */
  params: string[];
  trainable: string[];
  states: string[];
  /** Accumulated-gradient inputs (only with accumulation > 1). */
  accumulators: string[];
  /** Update-count groups this step reads (inputs count.<group>). */
  countGroups: string[];
  metrics: string[];
}

export const STEP = 'step';
export const ACCUM_COUNT = 'accum_count';
export const newName = (name: string): string => `new.${name}`;
export const accName = (param: string): string => `acc.${param}`;

interface Forward {
  g: Graph;
  inputs: Record<string, Tensor>;
  params: Record<string, Tensor>;
  result: ReturnType<TaskSpec['forward']>;
}

function forward(spec: ModelSpec, task: TaskSpec, name: string, training: boolean): Forward {
  const g = new Graph(name, spec.floatType);
  const inputs: Record<string, Tensor> = {};
  for (const d of task.inputs) inputs[d.name] = g.input(d.name, d.dtype, d.shape);
  if (training) for (const m of task.masks) inputs[m.name] = g.input(m.name, spec.floatType, m.shape);
  const params: Record<string, Tensor> = {};
  for (const p of spec.params) params[p.name] = g.param(p.name, p.shape);
  return { g, inputs, params, result: task.forward(g, inputs, params, training) };
}

/** The parameters a task's steps update: the job's choice, else the task's, else all. */
export function trainableOf(spec: ModelSpec, task: TaskSpec): string[] {
  const all = spec.params.map((p) => p.name);
  const chosen = task.trainable;
  if (!chosen) return all;
  for (const t of chosen) if (!all.includes(t)) throw new Error(`unknown parameter "${t}"`);
  return all.filter((n) => chosen.includes(n));
}

export interface TrainStepOptions {
  optimizer: OptimizerConfig;
  /** Micro-batches per optimizer step (default 1). */
  accumulation?: number;
  /**
   * Update-count groups: parameters updated by the same set of tasks share a group, fed as input
   * `count.<group>` for Adam's bias correction. Default: every parameter counts global steps.
   */
  countGroups?: ReadonlyMap<string, string>;
}

export const countName = (group: string): string => `count.${group}`;

/** One optimizer step appended to a graph: forward pass, gradients, clipping and update. */
export interface AppendedStep {
  loss: Tensor;
  gradNorm: Tensor;
  lr: Tensor;
  metrics: Record<string, Tensor>;
  /** Updated trainable parameters and their updated optimizer states, by name. */
  params: Map<string, Tensor>;
  states: Map<string, Tensor>;
}

export interface StepSources {
  inputs: Record<string, Tensor>;
  params: Record<string, Tensor>;
  /** The optimizer state tensors of a parameter, in stateNames order. */
  statesOf: (param: string) => Tensor[];
  step: Tensor;
  /** The update count of a parameter's group (Adam's bias correction); null: the global step. */
  countOf: (param: string) => Tensor | null;
  /** With gradient accumulation: the accumulated gradient input of a parameter, and the micro-batch count. */
  accumulated?: { of: (param: string) => Tensor; count: Tensor };
}

export function appendStep(task: TaskSpec, trainable: readonly string[], optimizer: OptimizerConfig, src: StepSources): AppendedStep {
  const g = src.step.graph;
  const result = task.forward(g, src.inputs, src.params, true);
  const tparams = trainable.map((n) => src.params[n]!);
  let grads = gradients(result.loss, tparams);
  const acc = src.accumulated;
  if (acc) grads = grads.map((gr, i) => op.div(op.add(acc.of(trainable[i]!), gr), acc.count));
  const states = trainable.map((n) => src.statesOf(n));
  const counts = trainable.map((n) => src.countOf(n) ?? src.step);
  const upd = applyOptimizer(g, optimizer, tparams, grads, states, src.step, counts);
  const names = trainable.map((n) => stateNames(optimizer, n));
  return {
    loss: result.loss,
    gradNorm: upd.gradNorm,
    lr: upd.lr,
    metrics: result.metrics ?? {},
    params: new Map(trainable.map((n, i) => [n, upd.params[i]!])),
    states: new Map(names.flatMap((ss, i) => ss.map((s, k) => [s, upd.states[i]![k]!] as const))),
  };
}

/**
 * Adam's update counts for parameters grouped by the tasks that update them (see
 * TrainStepOptions.countGroups): countOf gives a parameter's group tensor, made by `make` on the
 * group's first use (null: the parameter counts global steps); `used` lists the groups made.
 */
export function groupCounts(groups: ReadonlyMap<string, string> | undefined, make: (group: string) => Tensor): { countOf: (param: string) => Tensor | null; used: string[] } {
  const made = new Map<string, Tensor>();
  const used: string[] = [];
  const countOf = (param: string): Tensor | null => {
    const group = groups?.get(param);
    if (group === undefined) return null;
    let t = made.get(group);
    if (!t) {
      made.set(group, (t = make(group)));
      used.push(group);
    }
    return t;
  };
  return { countOf, used };
}

/**
 * train_step: inputs data, masks, every parameter, the trainable ones' optimizer states, `step`
 * (1-based, float) and, with accumulation, the accumulated gradients and their count. Outputs the
 * loss, grad_norm, lr, metrics, and new.<name> for every trainable parameter and state.
 */
export function buildTrainStep(spec: ModelSpec, task: TaskSpec, opts: TrainStepOptions): { model: Uint8Array; io: StepIO } {
  const g = new Graph(`train_step.${task.name}`, spec.floatType);
  const inputs: Record<string, Tensor> = {};
  for (const d of task.inputs) inputs[d.name] = g.input(d.name, d.dtype, d.shape);
  for (const m of task.masks) inputs[m.name] = g.input(m.name, spec.floatType, m.shape);
  const params: Record<string, Tensor> = {};
  for (const p of spec.params) params[p.name] = g.param(p.name, p.shape);
  const trainable = trainableOf(spec, task);
  const accumulators: string[] = [];
  const accumulated =
    (opts.accumulation ?? 1) > 1
      ? {
          count: g.input(ACCUM_COUNT, spec.floatType, []),
          of: (n: string): Tensor => {
            accumulators.push(accName(n));
            return g.input(accName(n), spec.floatType, params[n]!.shape);
          },
        }
      : undefined;
  const step = g.input(STEP, spec.floatType, []);
  const stateInputs: string[] = [];
  const statesOf = (n: string): Tensor[] =>
    stateNames(opts.optimizer, n).map((s) => {
      stateInputs.push(s);
      return g.input(s, spec.floatType, params[n]!.shape);
    });
  const counts = groupCounts(opts.countGroups, (group) => g.input(countName(group), spec.floatType, []));
  const out = appendStep(task, trainable, opts.optimizer, { inputs, params, statesOf, step, countOf: counts.countOf, accumulated });
  g.output(out.loss, 'loss');
  g.output(out.gradNorm, 'grad_norm');
  g.output(out.lr, 'lr');
  const metrics = Object.keys(out.metrics);
  for (const m of metrics) g.output(out.metrics[m]!, `metric.${m}`);
  for (const [n, t] of out.params) g.output(t, newName(n));
  for (const [s, t] of out.states) g.output(t, newName(s));
  return {
    model: g.toModel({ paramsAs: 'inputs', docString: 'AltMoE Studio train step' }),
    io: {
      data: task.inputs.map((d) => d.name),
      masks: task.masks.map((m) => m.name),
      params: spec.params.map((p) => p.name),
      trainable,
      states: stateInputs,
      accumulators,
      countGroups: counts.used,
      metrics,
    },
  };
}

/** accumulate: like train_step's forward and backward, but only adds this micro-batch's gradients to acc.<p>. */
export function buildAccumulate(spec: ModelSpec, task: TaskSpec): Uint8Array {
  const { g, params, result } = forward(spec, task, `accumulate.${task.name}`, true);
  const trainable = trainableOf(spec, task);
  const grads = gradients(result.loss, trainable.map((n) => params[n]!));
  g.output(result.loss, 'loss');
  trainable.forEach((n, i) => g.output(op.add(g.input(accName(n), spec.floatType, params[n]!.shape), grads[i]!), newName(accName(n))));
  return g.toModel({ paramsAs: 'inputs', docString: 'AltMoE Studio gradient accumulation' });
}

/** eval: data and parameters in; loss, metrics and the model's outputs out (no dropout). */
export function buildEval(spec: ModelSpec, task: TaskSpec): { model: Uint8Array; outputs: string[]; metrics: string[] } {
  const { g, result } = forward(spec, task, `eval.${task.name}`, false);
  g.output(result.loss, 'loss');
  const metrics = Object.keys(result.metrics ?? {});
  for (const m of metrics) g.output(result.metrics![m]!, `metric.${m}`);
  const outputs = Object.keys(result.outputs);
  for (const o of outputs) g.output(result.outputs[o]!, o);
  return { model: g.toModel({ paramsAs: 'inputs', docString: 'AltMoE Studio eval' }), outputs, metrics };
}

/** infer: the chosen outputs with the trained parameters baked in; only the inputs they need remain. */
export function buildInfer(spec: ModelSpec, task: TaskSpec, values: ParamValues, outputs: readonly string[], metadata: Record<string, string> = {}): Uint8Array {
  const { g, result } = forward(spec, task, `infer.${task.name}`, false);
  for (const o of outputs) {
    const t = result.outputs[o];
    if (!t) throw new Error(`the model has no output "${o}" (it has ${Object.keys(result.outputs).join(', ')})`);
    g.output(t, o);
  }
  return g.toModel({ paramsAs: 'initializers', values, docString: 'AltMoE Studio inference', metadata });
}
