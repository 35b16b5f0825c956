// The training loop: builds the artifacts, keeps parameters and optimizer state between steps (fed
// back to ONNX Runtime without copies), checkpoints, evaluates, resumes. It blocks its thread while
// a step runs, so it is meant to run in a worker (see runner.ts).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ParamValues } from '../onnx/graph.ts';
import type { OptimizerConfig } from '../onnx/optim.ts';
import { createSession, hostData, tensor, type Feeds, type Provider, type Session, type Value } from '../onnx/runtime.ts';
import { ACCUM_COUNT, accName, buildAccumulate, buildEval, buildInfer, buildTrainStep, countName, newName, STEP, trainableOf, type StepIO } from './artifacts.ts';
import { atPosition, buildTrainChain, CYCLES, STEPS, type ChainIO } from './chain.ts';
import { BatchStream, rowsOf, type Cursor, type Dataset } from './data.ts';
import { buildModel } from './models.ts';
import { providerUsable } from '../onnx/probe.ts';
import { deriveSeed, mulberry32, normal, STREAM } from './rng.ts';
import { readSafetensors, writeSafetensors, type StArray } from './safetensors.ts';
import type { ModelSpec, TaskSpec } from './spec.ts';

export interface TrainJob {
  /** Run folder: artifacts (train_step.onnx, eval.onnx...) and checkpoint.safetensors go here. */
  dir: string;
  model: { kind: string } & Record<string, unknown>;
  optimizer: OptimizerConfig;
  /** Optimizer steps to reach (a resumed run continues up to here). */
  steps: number;
  batchSize: number;
  accumulation?: number;
  /** Parameters to train (default all). */
  trainable?: string[];
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

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
/** With stepsPerRun 'auto': steps per ONNX Runtime run are chosen to take about this long... */
const RUN_TARGET_MS = 2000;
/** ...up to this many. */
const MAX_STEPS_PER_RUN = 64;
const FORMAT = 'altmoe-checkpoint/1';

export interface TrainState {
  step: number;
  params: Map<string, Value>;
  states: Map<string, Value>;
}

/** Fresh parameters from the seeded RNG (each parameter from its own stream: adding one changes no other). */
export function initParams(spec: ModelSpec, seed: number, given: Record<string, ArrayLike<number>> = {}): Map<string, Float32Array | Float64Array> {
  const out = new Map<string, Float32Array | Float64Array>();
  for (const name of Object.keys(given)) if (!spec.params.some((p) => p.name === name)) throw new Error(`initial value for unknown parameter "${name}"`);
  spec.params.forEach((p, i) => {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const arr = spec.floatType === 'float64' ? new Float64Array(n) : new Float32Array(n);
    const fixed = given[p.name];
    if (fixed) {
      if (fixed.length !== n) throw new Error(`initial value for ${p.name} has ${fixed.length} values, expected ${n}`);
      arr.set(fixed);
      out.set(p.name, arr);
      return;
    }
    const rand = mulberry32(deriveSeed(seed, STREAM.init, i));
    const init = p.init;
    for (let k = 0; k < n; k++) {
      arr[k] = init.kind === 'zeros' ? 0 : init.kind === 'ones' ? 1 : init.kind === 'normal' ? normal(rand) * init.std : (rand() * 2 - 1) * init.limit;
    }
    out.set(p.name, arr);
  });
  return out;
}

/** Reads a run's checkpoint: parameters, optimizer state, and where training stood. */
type FloatArray = Float32Array | Float64Array;

export function readCheckpoint(file: string): { step: number; cursor: Record<string, Cursor>; params: Map<string, FloatArray>; states: Map<string, FloatArray>; meta: Record<string, string> } {
  const { tensors, metadata } = readSafetensors(file);
  if (metadata.format !== FORMAT) throw new Error(`${file} is not an AltMoE checkpoint`);
  const params = new Map<string, FloatArray>();
  const states = new Map<string, FloatArray>();
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'F32' && t.dtype !== 'F64') throw new Error(`${file}: ${name} is not a float tensor`);
    if (name.startsWith('param/')) params.set(name.slice(6), t.data as FloatArray);
    else if (name.startsWith('state/')) states.set(name.slice(6), t.data as FloatArray);
  }
  return { step: Number(metadata.step), cursor: JSON.parse(metadata.cursor!) as Record<string, Cursor>, params, states, meta: metadata };
}

/** The config fields that must match for a checkpoint to be resumed by a job. */
function identity(job: TrainJob): string {
  const initial = job.initialValues ? createHash('sha256').update(JSON.stringify(Object.entries(job.initialValues).map(([k, v]) => [k, Array.from(v)]))).digest('hex') : null;
  return JSON.stringify({ model: job.model, optimizer: job.optimizer, batchSize: job.batchSize, accumulation: job.accumulation ?? 1, trainable: job.trainable ?? null, seed: job.seed, initial });
}

export interface TrainData {
  /** Training rows per task (a single-task model's task is usually "main"). */
  train: Record<string, Dataset>;
  val?: Record<string, Dataset>;
}

interface TaskRuntime {
  task: TaskSpec;
  index: number;
  io: StepIO;
  /** train_step and accumulate, opened on first use: with chains they may never run. */
  stepModel: Uint8Array;
  step: Session | null;
  accModel: Uint8Array | null;
  acc: Session | null;
  eval: Session | null;
  stream: BatchStream;
}

/**
 * Trains job.steps steps. With `hold`, a job that reaches its target does not end: it calls
 * hold(step) (its checkpoint is saved) and goes on to the step it returns, or ends when that is not
 * beyond the current one. A caller that validates every N steps keeps one job, with its graphs and
 * sessions, instead of starting one per N steps (that cost about 5 s per start on two cores).
 */
export async function train(job: TrainJob, data: TrainData, emit: (e: TrainEvent) => void, shouldStop: () => boolean = () => false, hold?: (step: number) => Promise<number>): Promise<{ step: number; loss: number }> {
  // WebGPU gets graphs made only of operators it has a kernel for (onnx/webgpu-ops.ts): the MoE's
  // dense dispatch instead of NonZero and single steps instead of the Loop of train_chain. Where it
  // cannot run, the CPU gets its own (faster) graphs, and the fallback is announced.
  let provider = job.provider;
  if (provider === 'webgpu') {
    const probe = await providerUsable('webgpu');
    if (!probe.usable) {
      emit({ type: 'warning', message: `execution provider "webgpu" is not available (${probe.reason ?? 'no adapter'}); FALLING BACK TO THE CPU, which is much slower` });
      provider = 'cpu';
    }
  }
  const onGpu = provider === 'webgpu';
  const spec = buildModel(job.model, { dispatch: onGpu ? 'dense' : 'sparse' });
  const dtype = spec.floatType;
  const accumulation = job.accumulation ?? 1;
  fs.mkdirSync(job.dir, { recursive: true });
  for (const task of spec.tasks) {
    const ds = data.train[task.name];
    if (!ds) throw new Error(`no training data for task "${task.name}"`);
    rowsOf(ds);
    for (const d of task.inputs) if (!ds[d.name]) throw new Error(`training data of task "${task.name}" lacks column "${d.name}"`);
  }

  const warn = (message: string): void => emit({ type: 'warning', message });
  const opts = { provider, threads: job.threads, onWarning: warn, outputsOnDevice: onGpu };
  const shapeOf = new Map(spec.params.map((p) => [p.name, p.shape]));
  const ckptFile = path.join(job.dir, CHECKPOINT_FILE);
  const ck = job.resume && fs.existsSync(ckptFile) ? readCheckpoint(ckptFile) : null;
  if (ck && ck.meta.identity !== identity(job)) throw new Error(`${ckptFile} was written by a different configuration; start a new run instead of resuming`);
  const cursors = ck ? (JSON.parse(ck.meta.cursor!) as Record<string, Cursor>) : {};

  // Parameters updated by the same set of tasks form an update-count group (for Adam's bias
  // correction); with one task there is one group, the global step.
  const taskSets = new Map<string, number[]>();
  spec.tasks.forEach((task, i) => {
    for (const p of trainableOf(spec, task, job.trainable)) taskSets.set(p, [...(taskSets.get(p) ?? []), i]);
  });
  const countGroups = spec.tasks.length > 1 ? new Map([...taskSets].map(([p, ts]) => [p, ts.join('_')])) : undefined;

  // Artifacts on disk, one set per task: the graphs that run are files a user can inspect or reuse.
  const tasks: TaskRuntime[] = [];
  for (const [index, task] of spec.tasks.entries()) {
    const built = buildTrainStep(spec, task, { optimizer: job.optimizer, trainable: job.trainable, accumulation, countGroups });
    fs.writeFileSync(path.join(job.dir, `train_step.${task.name}.onnx`), built.model);
    const evalArt = buildEval(spec, task);
    fs.writeFileSync(path.join(job.dir, `eval.${task.name}.onnx`), evalArt.model);
    const accModel = accumulation > 1 ? buildAccumulate(spec, task, { trainable: job.trainable }) : null;
    if (accModel) fs.writeFileSync(path.join(job.dir, `accumulate.${task.name}.onnx`), accModel);
    tasks.push({
      task,
      index,
      io: built.io,
      stepModel: built.model,
      step: null,
      accModel,
      acc: null,
      eval: data.val?.[task.name] ? await createSession(evalArt.model, { ...opts, outputsOnDevice: false }) : null,
      stream: new BatchStream(data.train[task.name]!, job.batchSize, deriveSeed(job.seed, index), cursors[task.name]),
    });
  }

  // State: parameters and the optimizer state of every trainable parameter, as ORT values fed
  // back step after step.
  const state: TrainState = { step: ck?.step ?? 0, params: new Map(), states: new Map() };
  const stateShapes = new Map<string, number[]>();
  for (const t of tasks) for (const s of t.io.states) stateShapes.set(s, shapeOf.get(stateParam(s, t.io.trainable))!);
  const init = ck ? null : initParams(spec, job.seed, job.initialValues);
  for (const p of spec.params) state.params.set(p.name, tensor(dtype, p.shape, ck ? present(ck.params.get(p.name), p.name) : init!.get(p.name)!));
  for (const [s, shape] of stateShapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    state.states.set(s, tensor(dtype, shape, ck ? present(ck.states.get(s), s) : dtype === 'float64' ? new Float64Array(n) : new Float32Array(n)));
  }
  // Runs of several steps at once (train_chain) keep parameters and optimizer states inside ONNX
  // Runtime between the steps. A chain starts where the task cycle does and ends at the latest
  // on the next checkpoint or evaluation, so both see exactly the state single steps would leave.
  const T = tasks.length;
  const fixedRun = typeof job.stepsPerRun === 'number' ? Math.max(1, Math.floor(job.stepsPerRun)) : null;
  let chain: { session: Session; io: ChainIO } | null = null;
  // WebGPU has no Loop kernel: ORT would run the Loop on the CPU and copy every parameter through
  // it each cycle, while single steps keep parameters and states on the GPU (outputsOnDevice).
  if (!onGpu && accumulation === 1 && (fixedRun === null || (fixedRun >= T && fixedRun >= 2))) {
    const built = buildTrainChain(spec, tasks.map((t) => t.index), { optimizer: job.optimizer, trainable: job.trainable, countGroups });
    fs.writeFileSync(path.join(job.dir, 'train_chain.onnx'), built.model);
    try {
      chain = { session: await createSession(built.model, opts), io: built.io };
    } catch (err) {
      // A provider without the Loop op: single steps give the same result, only slower.
      warn(`running one training step per ONNX Runtime run: the multi-step graph could not be loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    }
  }
  const stepSession = async (rt: TaskRuntime): Promise<Session> => (rt.step ??= await createSession(rt.stepModel, opts));
  const running = chain ? chain.session.provider : (await stepSession(tasks[0]!)).provider;
  emit({ type: 'started', provider: running, step: state.step, resumed: ck !== null, parameters: spec.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0) });

  const save = async (): Promise<void> => {
    const tensors: Record<string, { shape: number[]; data: StArray }> = {};
    for (const [name, v] of state.params) tensors[`param/${name}`] = { shape: shapeOf.get(name)!, data: (await hostData(v)) as StArray };
    for (const [name, v] of state.states) tensors[`state/${name}`] = { shape: [...v.dims], data: (await hostData(v)) as StArray };
    writeSafetensors(ckptFile, tensors, {
      format: FORMAT,
      step: String(state.step),
      cursor: JSON.stringify(Object.fromEntries(tasks.map((t) => [t.task.name, t.stream.cursor]))),
      identity: identity(job),
      model: JSON.stringify(job.model),
      optimizer: JSON.stringify(job.optimizer),
    });
    emit({ type: 'checkpoint', step: state.step, file: ckptFile });
  };

  let msPerStep: number | null = null;
  /** The step this job trains to now (a held job moves it on). */
  let target = job.steps;
  const nextBoundary = (from: number): number => {
    const after = (every: number | undefined): number => (every && every > 0 ? (Math.floor(from / every) + 1) * every : Infinity);
    return Math.min(target, after(job.checkpointEvery), after(job.evalEvery));
  };
  /** Cycles the next run covers (0: one train_step run instead). */
  const cyclesAt = (from: number): number => {
    if (!chain || from % T !== 0) return 0;
    const wanted = fixedRun !== null ? Math.floor(fixedRun / T) : msPerStep === null ? 1 : Math.max(1, Math.floor(Math.min(MAX_STEPS_PER_RUN, RUN_TARGET_MS / msPerStep) / T));
    const cycles = Math.min(wanted, Math.floor((nextBoundary(from) - from) / T));
    // 'auto' runs even one step as a chain, so train_step sessions are only opened when a run
    // resumes mid-cycle; a fixed stepsPerRun below the cycle length means one train_step per step.
    return cycles >= 1 && (fixedRun === null || cycles * T >= 2) ? cycles : 0;
  };
  let runs = 0;

  let lastLoss = NaN;
  const lossByTask: Record<string, number> = {};
  let windowStart = performance.now();
  let windowSteps = 0;
  let lastEmit = 0;
  let reason: 'finished' | 'cancelled' = 'finished';
  for (;;) {
    if (state.step >= target) {
      const next = hold ? await hold(state.step) : target;
      if (next <= state.step) break;
      target = next;
    }
    if (shouldStop()) {
      reason = 'cancelled';
      break;
    }
    const cycles = cyclesAt(state.step);
    const started = performance.now();
    const done = cycles > 0 ? await runChain(chain!, state.step, cycles) : [await runStep(state.step + 1)];
    msPerStep = (performance.now() - started) / done.length;
    runs++;
    const throttle = job.progressEveryMs ?? 250;
    for (const [i, r] of done.entries()) {
      const t = r.step;
      windowSteps++;
      lastLoss = await r.loss();
      if (!Number.isFinite(lastLoss)) throw new Error(`the loss became ${lastLoss} at step ${t} (${r.task}); lower the learning rate or check the data`);
      lossByTask[r.task] = lastLoss;
      const now = performance.now();
      const final = t === target;
      // A run's steps are reported together: a throttled report shows the run's last step, the newest.
      const due = throttle <= 0 || (i === done.length - 1 && now - lastEmit >= throttle);
      if (due || final || t % job.checkpointEvery === 0) {
        emit({ type: 'progress', step: t, steps: target, task: r.task, loss: lastLoss, losses: { ...lossByTask }, ...(await r.details()), stepsPerSec: (windowSteps * 1000) / Math.max(1e-9, now - windowStart) });
        lastEmit = now;
        windowStart = now;
        windowSteps = 0;
      }
      if (job.evalEvery && (t % job.evalEvery === 0 || final)) {
        for (const e of tasks) if (e.eval) emit(await evaluate(e.task, e.eval, data.val![e.task.name]!, state.params, job.evalBatchSize ?? job.batchSize, t));
      }
      if (t % job.checkpointEvery === 0 || final) await save();
    }
  }

  /** One optimizer step t with train_step (and the accumulation micro-batches before it). */
  async function runStep(t: number): Promise<StepRecord> {
    // The alternating schedule: one task (direction) per optimizer step, in turn.
    const rt = tasks[(t - 1) % tasks.length]!;
    const { io } = rt;
    // Gradient accumulation: the first micro-batches only add up gradients.
    let acc: Map<string, Value> | null = null;
    for (let micro = 0; micro < accumulation - 1; micro++) {
      const feeds = batchFeeds(spec, rt, job, t, micro, state.params);
      for (const p of io.trainable) feeds[accName(p)] = acc?.get(p) ?? zeros(dtype, shapeOf.get(p)!);
      rt.acc ??= await createSession(rt.accModel!, opts);
      const out = await rt.acc.run(feeds);
      acc = new Map(io.trainable.map((p) => [p, out[newName(accName(p))]!]));
    }
    const feeds = batchFeeds(spec, rt, job, t, accumulation - 1, state.params);
    for (const s of io.states) feeds[s] = state.states.get(s)!;
    feeds[STEP] = scalar(dtype, t);
    for (const group of io.countGroups) feeds[countName(group)] = scalar(dtype, updatesUpTo(t, group.split('_').map(Number), tasks.length));
    if (accumulation > 1) {
      for (const p of io.trainable) feeds[accName(p)] = acc!.get(p)!;
      feeds[ACCUM_COUNT] = scalar(dtype, accumulation);
    }
    const out = await (await stepSession(rt)).run(feeds);
    for (const p of io.trainable) swap(state.params, p, out[newName(p)]!);
    for (const s of io.states) swap(state.states, s, out[newName(s)]!);
    state.step = t;
    return {
      step: t,
      task: rt.task.name,
      loss: async () => Number((await hostData(out.loss!))[0]),
      details: async () => {
        const metrics: Record<string, number | number[]> = {};
        for (const m of io.metrics) metrics[m] = scalarOrList(await hostData(out[`metric.${m}`]!));
        return { lr: Number((await hostData(out.lr!))[0]), gradNorm: Number((await hostData(out.grad_norm!))[0]), metrics };
      },
    };
  }

  /** Steps from+1 .. from+cycles*T in one run of train_chain. */
  async function runChain(c: { session: Session; io: ChainIO }, from: number, cycles: number): Promise<StepRecord[]> {
    const chainLength = cycles * T;
    const stacked = new Map<string, { dtype: Parameters<typeof tensor>[0]; shape: number[]; parts: ArrayLike<number | bigint>[] }>();
    const add = (name: string, v: Value): void => {
      let e = stacked.get(name);
      if (!e) stacked.set(name, (e = { dtype: v.type as Parameters<typeof tensor>[0], shape: [...v.dims], parts: [] }));
      // Copied: the batch stream reuses its buffers, and a chain reads several batches per task.
      e.parts.push((v.data as Float32Array).slice());
    };
    for (let cy = 0; cy < cycles; cy++) {
      c.io.cycle.forEach((ti, j) => {
        const t = from + cy * T + j + 1;
        for (const [name, v] of Object.entries(batchFeeds(spec, tasks[ti]!, job, t, 0, new Map()))) add(atPosition(name, j), v);
        for (const group of c.io.countGroups[j]!) add(atPosition(countName(group), j), scalar(dtype, updatesUpTo(t, group.split('_').map(Number), tasks.length)));
      });
    }
    const feeds: Feeds = {};
    for (const [name, e] of stacked) feeds[name] = tensor(e.dtype, [cycles, ...e.shape], concatParts(e.parts));
    feeds[CYCLES] = tensor('int64', [], BigInt64Array.of(BigInt(cycles)));
    const stepNumbers = Array.from({ length: chainLength }, (_, k) => from + k + 1);
    feeds[STEPS] = tensor(dtype, [chainLength], dtype === 'float64' ? Float64Array.from(stepNumbers) : Float32Array.from(stepNumbers));
    for (const [name, v] of state.params) feeds[name] = v;
    for (const s of c.io.states) feeds[s] = state.states.get(s)!;
    const out = await c.session.run(feeds);
    for (const p of c.io.trainable) swap(state.params, p, out[newName(p)]!);
    for (const s of c.io.states) swap(state.states, s, out[newName(s)]!);
    state.step = from + chainLength;
    const host = new Map<string, Promise<ArrayLike<number | bigint>>>();
    const row = async (name: string, cy: number): Promise<number[]> => {
      if (!host.has(name)) host.set(name, hostData(out[name]!));
      const a = await host.get(name)!;
      const width = a.length / cycles;
      return Array.from(Array.prototype.slice.call(a, cy * width, (cy + 1) * width) as (number | bigint)[], Number);
    };
    const records: StepRecord[] = [];
    for (let cy = 0; cy < cycles; cy++) {
      c.io.cycle.forEach((ti, j) => {
        records.push({
          step: from + cy * T + j + 1,
          task: tasks[ti]!.task.name,
          loss: async () => (await row(atPosition('loss', j), cy))[0]!,
          details: async () => {
            const metrics: Record<string, number | number[]> = {};
            for (const m of c.io.metrics[j]!) {
              const v = await row(atPosition(`metric.${m}`, j), cy);
              metrics[m] = v.length === 1 ? v[0]! : v;
            }
            return { lr: (await row(atPosition('lr', j), cy))[0]!, gradNorm: (await row(atPosition('grad_norm', j), cy))[0]!, metrics };
          },
        });
      });
    }
    return records;
  }

  if (reason === 'cancelled') await save();
  emit({ type: 'done', step: state.step, reason, loss: lastLoss, runs });
  await chain?.session.release();
  for (const t of tasks) {
    await t.step?.release();
    await t.acc?.release();
    await t.eval?.release();
  }
  return { step: state.step, loss: lastLoss };
}

/** How many of the steps 1..t ran one of these tasks (step s runs task (s - 1) mod T). */
export function updatesUpTo(t: number, taskIndices: number[], taskCount: number): number {
  let n = 0;
  for (const k of taskIndices) if (t - 1 >= k) n += Math.floor((t - 1 - k) / taskCount) + 1;
  return n;
}

function present(v: FloatArray | undefined, name: string): FloatArray {
  if (!v) throw new Error(`the checkpoint lacks ${name}`);
  return v;
}

function swap(map: Map<string, Value>, name: string, next: Value): void {
  const prev = map.get(name);
  map.set(name, next);
  // Device buffers are freed explicitly; host arrays go to the garbage collector.
  if (prev && prev.location === 'gpu-buffer') prev.dispose();
}

function stateParam(state: string, params: readonly string[]): string {
  const p = params.find((n) => state.endsWith(`.${n}`));
  if (!p) throw new Error(`optimizer state ${state} matches no parameter`);
  return p;
}

function scalar(dtype: 'float32' | 'float64', x: number): Value {
  return tensor(dtype, [], dtype === 'float64' ? Float64Array.of(x) : Float32Array.of(x));
}

/** What one optimizer step reports (ORT values, read only when a progress event is due). */
interface StepRecord {
  step: number;
  task: string;
  loss: () => Promise<number>;
  details: () => Promise<{ lr: number; gradNorm: number; metrics: Record<string, number | number[]> }>;
}

/** Concatenates equally typed arrays (one per cycle) into one array of that type. */
function concatParts(parts: ArrayLike<number | bigint>[]): Float32Array {
  const first = parts[0] as Float32Array;
  const Ctor = first.constructor as new (n: number) => Float32Array;
  const out = new Ctor(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p as Float32Array, at);
    at += p.length;
  }
  return out;
}

function zeros(dtype: 'float32' | 'float64', shape: number[]): Value {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(dtype, shape, dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
}

function scalarOrList(a: ArrayLike<number | bigint>): number | number[] {
  return a.length === 1 ? Number(a[0]) : Array.from(a, Number);
}

/** Feeds for one micro-batch: data columns, dropout masks (from (seed, step, micro)), parameters. */
function batchFeeds(spec: ModelSpec, rt: TaskRuntime, job: TrainJob, step: number, micro: number, params: Map<string, Value>): Feeds {
  const feeds: Feeds = {};
  const batch = rt.stream.next();
  for (const d of rt.task.inputs) {
    const shape = [job.batchSize, ...(d.shape.slice(1) as number[])];
    feeds[d.name] = tensor(d.dtype, shape, batch.get(d.name)!);
  }
  rt.task.masks.forEach((m, i) => {
    const shape = [job.batchSize, ...(m.shape.slice(1) as number[])];
    const n = shape.reduce((a, b) => a * b, 1);
    const rand = mulberry32(deriveSeed(job.seed, STREAM.mask, step, micro, i));
    const arr = spec.floatType === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let k = 0; k < n; k++) arr[k] = rand() >= m.p ? 1 : 0;
    feeds[m.name] = tensor(spec.floatType, shape, arr);
  });
  for (const [name, v] of params) feeds[name] = v;
  return feeds;
}

/** Mean loss and metrics of one task over a whole validation set (the last partial batch included). */
export async function evaluate(task: TaskSpec, session: Session, val: Dataset, params: Map<string, Value>, batchSize: number, step: number): Promise<Extract<TrainEvent, { type: 'eval' }>> {
  const n = rowsOf(val);
  let lossSum = 0;
  const metricSums: Record<string, number[]> = {};
  const metricNames = session.outputNames.filter((o) => o.startsWith('metric.'));
  for (let start = 0; start < n; start += batchSize) {
    const rows = Math.min(batchSize, n - start);
    const feeds: Feeds = {};
    for (const d of task.inputs) {
      const c = val[d.name]!;
      const width = c.shape.slice(1).reduce((a, b) => a * b, 1);
      feeds[d.name] = tensor(d.dtype, [rows, ...c.shape.slice(1)], c.data.subarray(start * width, (start + rows) * width) as Float32Array);
    }
    for (const name of session.inputNames) if (params.has(name)) feeds[name] = params.get(name)!;
    const out = await session.run(feeds, ['loss', ...metricNames]);
    lossSum += Number((await hostData(out.loss!))[0]) * rows;
    for (const m of metricNames) {
      const v = Array.from(await hostData(out[m]!), Number);
      const sums = (metricSums[m.slice(7)] ??= new Array(v.length).fill(0));
      v.forEach((x, i) => (sums[i] = sums[i]! + x * rows));
    }
  }
  const metrics: Record<string, number | number[]> = {};
  for (const [m, sums] of Object.entries(metricSums)) metrics[m] = sums.length === 1 ? sums[0]! / n : sums.map((s) => s / n);
  return { type: 'eval', step, task: task.name, loss: lossSum / n, metrics };
}

/** The trained parameters of a run (from its checkpoint). */
export function trainedParams(dir: string): ParamValues {
  return readCheckpoint(path.join(dir, CHECKPOINT_FILE)).params;
}

/** Writes infer.<task>.onnx (chosen outputs, parameters baked in) and params.safetensors for a run. */
export function exportRun(dir: string, taskName: string, outputs: readonly string[], outDir = dir): { infer: string; params: string } {
  const ck = readCheckpoint(path.join(dir, CHECKPOINT_FILE));
  const spec = buildModel(JSON.parse(ck.meta.model!));
  const task = spec.tasks.find((t) => t.name === taskName);
  if (!task) throw new Error(`the model has no task "${taskName}" (it has ${spec.tasks.map((t) => t.name).join(', ')})`);
  const values = ck.params;
  fs.mkdirSync(outDir, { recursive: true });
  const infer = path.join(outDir, `infer.${taskName}.onnx`);
  fs.writeFileSync(infer, buildInfer(spec, task, values, outputs, { step: String(ck.step), task: taskName, model: ck.meta.model! }));
  const params = path.join(outDir, 'params.safetensors');
  writeSafetensors(params, Object.fromEntries(spec.params.map((p) => [p.name, { shape: p.shape, data: values.get(p.name)! }])), { model: ck.meta.model!, step: String(ck.step) });
  return { infer, params };
}
