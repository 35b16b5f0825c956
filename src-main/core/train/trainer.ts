// The training loop: builds the artifacts, keeps parameters and optimizer state between steps (fed
// back to ONNX Runtime without copies), checkpoints, evaluates, resumes. It blocks its thread while
// a step runs, so it is meant to run in a worker (see runner.ts).
import fs from 'node:fs';
import path from 'node:path';
import { providerUsable } from '../onnx/probe.ts';
import { createSession, hostData, tensor, type Feeds, type Session, type Value } from '../onnx/runtime.ts';
import { deriveSeed } from '../util/rng.ts';
import { writeSafetensors, type StArray } from '../util/safetensors.ts';
import { accName, ACCUM_COUNT, buildAccumulate, buildEval, buildTrainStep, countName, newName, STEP, trainableOf } from './artifacts.ts';
import { atPosition, buildTrainChain, CYCLES, STEPS, type ChainIO } from './chain.ts';
import { CHECKPOINT_FILE, FORMAT, identity, initParams, readCheckpoint, TrainState } from './checkpoint.ts';
import { BatchStream, rowsOf, type Cursor } from './data.ts';
import { TrainData, TrainEvent, TrainJob } from './job.ts';
import type { ModelBuilder } from './spec.ts';
import { batchFeeds, concatParts, evaluate, present, scalar, scalarOrList, stateParam, StepRecord, swap, TaskRuntime, updatesUpTo, zeros } from './step-values.ts';

/** With stepsPerRun 'auto': steps per ONNX Runtime run are chosen to take about this long... */
const RUN_TARGET_MS = 2000;
/** ...up to this many. */
const MAX_STEPS_PER_RUN = 64;
/**
 * Trains job.steps steps. With `hold`, a job that reaches its target does not end: it calls
 * hold(step) (its checkpoint is saved) and goes on to the step it returns, or ends when that is not
 * beyond the current one. A caller that validates every N steps keeps one job, with its graphs and
 * sessions, instead of starting one per N steps (that cost about 5 s per start on two cores).
 */
export async function train(buildModel: ModelBuilder, job: TrainJob, data: TrainData, emit: (e: TrainEvent) => void, shouldStop: () => boolean = () => false, hold?: (step: number) => Promise<number>): Promise<{ step: number; loss: number }> {
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
    for (const p of trainableOf(spec, task)) taskSets.set(p, [...(taskSets.get(p) ?? []), i]);
  });
  const countGroups = spec.tasks.length > 1 ? new Map([...taskSets].map(([p, ts]) => [p, ts.join('_')])) : undefined;

  // Artifacts on disk, one set per task: the graphs that run are files a user can inspect or reuse.
  const tasks: TaskRuntime[] = [];
  for (const [index, task] of spec.tasks.entries()) {
    const built = buildTrainStep(spec, task, { optimizer: job.optimizer, accumulation, countGroups });
    fs.writeFileSync(path.join(job.dir, `train_step.${task.name}.onnx`), built.model);
    const evalArt = buildEval(spec, task);
    fs.writeFileSync(path.join(job.dir, `eval.${task.name}.onnx`), evalArt.model);
    const accModel = accumulation > 1 ? buildAccumulate(spec, task) : null;
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
    const built = buildTrainChain(spec, tasks.map((t) => t.index), { optimizer: job.optimizer, countGroups });
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
