// train_chain: many optimizer steps in one ONNX Runtime run. A separate run per step hands every
// updated parameter and optimizer state back to JavaScript, and onnxruntime-node copies each
// output into a fresh buffer (hundreds of MB per step for a large connector, even into
// pre-allocated outputs). Here an ONNX Loop carries parameters and states from one iteration to
// the next inside ORT, and only the final values come out.
//
// One Loop iteration is one cycle of the alternating schedule (one step of each task, in turn),
// built by the same appendStep as train_step, so a chain computes exactly what single steps do.
// A Loop (rather than the same steps unrolled) keeps session creation cheap: ORT's allocation
// planner is quadratic in graph size, and the body is only one cycle long.
import { Graph, type Tensor } from '../onnx/graph.ts';
import * as op from '../onnx/ops.ts';
import { ATTR_TYPE, ModelProto, ONNX_DTYPE } from '../onnx/proto.ts';
import { stateNames } from '../onnx/optim.ts';
import { appendStep, countName, groupCounts, newName, trainableOf, type TrainStepOptions } from './artifacts.ts';
import type { ModelSpec } from './spec.ts';

/** Name of a per-step input or output of a chain: its value at cycle position j (stacked over cycles). */
export const atPosition = (name: string, j: number): string => `${name}@${j}`;
export const CYCLES = 'cycles';
const inBody = (name: string): string => `iteration.${name}`;
export const STEPS = 'steps';

export interface ChainIO {
  /** Task index of each position of one cycle. */
  cycle: number[];
  /** Per position: the count groups it reads (inputs atPosition(countName(g), j), shape [cycles]). */
  countGroups: string[][];
  /** Per position: its metric names (outputs atPosition(`metric.${m}`, j), shape [cycles, ...]). */
  metrics: string[][];
  /** The parameters and optimizer states the chain updates: inputs <name>, outputs new.<name>. */
  trainable: string[];
  states: string[];
}

interface ProtoValueInfo {
  name: string;
  type: unknown;
}
interface ProtoNode {
  input: string[];
  output: string[];
}
interface ProtoGraph {
  name: string;
  node: ProtoNode[];
  input: ProtoValueInfo[];
  output: ProtoValueInfo[];
  initializer: unknown[];
}

/**
 * Builds train_chain for a schedule whose cycle runs the given tasks in order. Inputs: `cycles`
 * (int64 scalar: iterations to run), `steps` (float [cycles * cycle length], the 1-based step
 * number of every step), every parameter and optimizer state as in train_step, and per cycle
 * position j the data, masks and count groups stacked over cycles (x@j: [cycles, N, ...]).
 * Outputs: new.<name> after the last step, and loss@j, grad_norm@j, lr@j, metric.<m>@j stacked
 * over cycles.
 */
export function buildTrainChain(spec: ModelSpec, cycle: readonly number[], opts: Omit<TrainStepOptions, 'accumulation'>): { model: Uint8Array; io: ChainIO } {
  const ft = spec.floatType;
  const g = new Graph('train_cycle', ft);
  const iter = g.input('iter', 'int64', []);
  const cond = g.input('cond', 'bool', []);
  const shapes = new Map(spec.params.map((p) => [p.name, p.shape]));
  const params: Record<string, Tensor> = {};
  for (const p of spec.params) params[p.name] = g.input(p.name, ft, p.shape);
  const stateInputs = new Map<string, Tensor>();
  const states = new Map<string, Tensor>();
  const steps = g.input(STEPS, ft, ['S']);
  const io: ChainIO = { cycle: [...cycle], countGroups: [], metrics: [], trainable: [], states: [] };
  const updated = new Set<string>();
  const scans: [Tensor, string][] = [];
  const perCycle = cycle.length;
  cycle.forEach((ti, j) => {
    const task = spec.tasks[ti]!;
    // Row j of this iteration: data stacked over cycles, picked with the iteration number.
    const pick = (name: string, dtype: Tensor['dtype'], shape: Tensor['shape']): Tensor => op.gather(g.input(atPosition(name, j), dtype, ['C', ...shape]), iter);
    const inputs: Record<string, Tensor> = {};
    for (const d of task.inputs) inputs[d.name] = pick(d.name, d.dtype, d.shape);
    for (const m of task.masks) inputs[m.name] = pick(m.name, ft, m.shape);
    const trainable = trainableOf(spec, task);
    for (const n of trainable) updated.add(n);
    const statesOf = (n: string): Tensor[] =>
      stateNames(opts.optimizer, n).map((s) => {
        if (!states.has(s)) {
          const t = g.input(s, ft, shapes.get(n)!);
          stateInputs.set(s, t);
          states.set(s, t);
        }
        return states.get(s)!;
      });
    const counts = groupCounts(opts.countGroups, (group) => pick(countName(group), ft, []));
    // The step number: steps[iter * cycle length + j].
    const at = op.add(op.mul(iter, g.scalar(perCycle, 'int64')), g.scalar(j, 'int64'));
    const step = op.gather(steps, at);
    const out = appendStep(task, trainable, opts.optimizer, { inputs, params: { ...params }, statesOf, step, countOf: counts.countOf });
    for (const [n, t] of out.params) params[n] = t;
    for (const [s, t] of out.states) states.set(s, t);
    scans.push([out.loss, atPosition('loss', j)], [out.gradNorm, atPosition('grad_norm', j)], [out.lr, atPosition('lr', j)]);
    io.metrics.push(Object.keys(out.metrics));
    for (const [m, t] of Object.entries(out.metrics)) scans.push([t, atPosition(`metric.${m}`, j)]);
    io.countGroups.push(counts.used);
  });
  io.trainable = spec.params.map((p) => p.name).filter((n) => updated.has(n));
  io.states = [...stateInputs.keys()];
  const carried = [...io.trainable, ...io.states];

  // The body: (iter, cond, carried...) -> (cond, carried..., per-step scans...).
  // Body outputs get their own names: a subgraph may not redefine a name of the enclosing graph.
  g.output(cond, 'cond_out');
  for (const n of io.trainable) g.output(params[n]!, inBody(newName(n)));
  for (const s of io.states) g.output(states.get(s)!, inBody(newName(s)));
  for (const [t, name] of scans) g.output(t, inBody(name));
  const body = (ModelProto.decode(g.toModel({ paramsAs: 'inputs', docString: '' })) as unknown as { graph: ProtoGraph }).graph;
  return { model: wrapInLoop(body, carried, scans.map(([, name]) => name)), io };
}

/**
 * The outer graph: one Loop node over the body. The body's carried inputs are renamed (an input
 * of a subgraph may not shadow a name of the enclosing graph); every other body input (frozen
 * parameters, stacked data, the step numbers) is read from the enclosing graph by name.
 */
function wrapInLoop(body: ProtoGraph, carried: string[], scans: string[]): Uint8Array {
  const byName = new Map(body.input.map((v) => [v.name, v]));
  const inner = (n: string): string => `carried.${n}`;
  const rename = new Map(carried.map((n) => [n, inner(n)]));
  for (const node of body.node) node.input = node.input.map((n) => rename.get(n) ?? n);
  for (const o of body.output) if (rename.has(o.name)) throw new Error(`train_chain: ${o.name} is both carried and an output`);
  const outer = body.input.filter((v) => v.name !== 'iter' && v.name !== 'cond' && !rename.has(v.name));
  body.input = [byName.get('iter')!, byName.get('cond')!, ...carried.map((n) => ({ ...byName.get(n)!, name: inner(n) }))];
  // Stacked per-step outputs have one more (dynamic) dim than in the body: declare their type only.
  const typeOnly = (v: ProtoValueInfo): ProtoValueInfo => {
    const t = v.type as { tensorType: { elemType: number } };
    return { name: v.name, type: { tensorType: { elemType: t.tensorType.elemType } } };
  };
  const outputs = new Map(body.output.map((v) => [v.name, v]));
  const outerOutput = (name: string, stacked: boolean): ProtoValueInfo => {
    const v = outputs.get(inBody(name))!;
    return stacked ? { ...typeOnly(v), name } : { ...v, name };
  };
  const graph = {
    name: 'train_chain',
    node: [
      {
        name: 'chain',
        opType: 'Loop',
        input: [CYCLES, 'chain.true', ...carried],
        output: [...carried.map(newName), ...scans],
        attribute: [{ name: 'body', type: ATTR_TYPE.GRAPH, g: body }],
      },
    ],
    initializer: [{ name: 'chain.true', dataType: ONNX_DTYPE.bool, dims: [], rawData: Uint8Array.of(1) }],
    input: [{ name: CYCLES, type: { tensorType: { elemType: ONNX_DTYPE.int64, shape: { dim: [] } } } }, ...carried.map((n) => byName.get(n)!), ...outer],
    output: [...carried.map((n) => outerOutput(newName(n), false)), ...scans.map((n) => outerOutput(n, true))],
  };
  const model = {
    irVersion: 8,
    producerName: 'altmoe-studio',
    producerVersion: '0.1',
    docString: 'AltMoE Studio train chain',
    opsetImport: [{ domain: '', version: 18 }],
    graph,
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
