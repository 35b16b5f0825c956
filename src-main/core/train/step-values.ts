// The values a training step is fed and gives back: batches, state swaps, scalars, per-parameter
// update counts, and validation passes.
import { hostData, tensor, type Feeds, type Session, type Value } from '../onnx/runtime.ts';
import { deriveSeed, mulberry32, STREAM } from '../util/rng.ts';
import { type StepIO } from './artifacts.ts';
import { FloatArray } from './checkpoint.ts';
import { BatchStream, rowsOf, type Dataset } from './data.ts';
import { TrainEvent, TrainJob } from './job.ts';
import type { ModelSpec, TaskSpec } from './spec.ts';

export interface TaskRuntime {
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

/** How many of the steps 1..t ran one of these tasks (step s runs task (s - 1) mod T). */
export function updatesUpTo(t: number, taskIndices: number[], taskCount: number): number {
  let n = 0;
  for (const k of taskIndices) if (t - 1 >= k) n += Math.floor((t - 1 - k) / taskCount) + 1;
  return n;
}

export function present(v: FloatArray | undefined, name: string): FloatArray {
  if (!v) throw new Error(`the checkpoint lacks ${name}`);
  return v;
}

export function swap(map: Map<string, Value>, name: string, next: Value): void {
  const prev = map.get(name);
  map.set(name, next);
  // Device buffers are freed explicitly; host arrays go to the garbage collector.
  if (prev && prev.location === 'gpu-buffer') prev.dispose();
}

export function stateParam(state: string, params: readonly string[]): string {
  const p = params.find((n) => state.endsWith(`.${n}`));
  if (!p) throw new Error(`optimizer state ${state} matches no parameter`);
  return p;
}

export function scalar(dtype: 'float32' | 'float64', x: number): Value {
  return tensor(dtype, [], dtype === 'float64' ? Float64Array.of(x) : Float32Array.of(x));
}

/** What one optimizer step reports (ORT values, read only when a progress event is due). */
export interface StepRecord {
  step: number;
  task: string;
  loss: () => Promise<number>;
  details: () => Promise<{ lr: number; gradNorm: number; metrics: Record<string, number | number[]> }>;
}

/** Concatenates equally typed arrays (one per cycle) into one array of that type. */
export function concatParts(parts: ArrayLike<number | bigint>[]): Float32Array {
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

export function zeros(dtype: 'float32' | 'float64', shape: number[]): Value {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(dtype, shape, dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
}

export function scalarOrList(a: ArrayLike<number | bigint>): number | number[] {
  return a.length === 1 ? Number(a[0]) : Array.from(a, Number);
}

/** Feeds for one micro-batch: data columns, dropout masks (from (seed, step, micro)), parameters. */
export function batchFeeds(spec: ModelSpec, rt: TaskRuntime, job: TrainJob, step: number, micro: number, params: Map<string, Value>): Feeds {
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
