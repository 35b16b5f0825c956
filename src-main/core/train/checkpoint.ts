// A training job's checkpoint: parameters, optimizer state and data cursors in one safetensors file,
// tagged with the job's identity so a resume never continues another configuration.
import { createHash } from 'node:crypto';
import { type Value } from '../onnx/runtime.ts';
import { deriveSeed, mulberry32, normal, STREAM } from '../util/rng.ts';
import { readSafetensors } from '../util/safetensors.ts';
import { type Cursor } from './data.ts';
import { TrainJob } from './job.ts';
import type { ModelSpec } from './spec.ts';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const FORMAT = 'altmoe-checkpoint/1';

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
export type FloatArray = Float32Array | Float64Array;

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
export function identity(job: TrainJob): string {
  const initial = job.initialValues ? createHash('sha256').update(JSON.stringify(Object.entries(job.initialValues).map(([k, v]) => [k, Array.from(v)]))).digest('hex') : null;
  // `trainable: null`: the identity of checkpoints already on disk names a per-job parameter subset
  // that no job sets (so they still resume).
  return JSON.stringify({ model: job.model, optimizer: job.optimizer, batchSize: job.batchSize, accumulation: job.accumulation ?? 1, trainable: null, seed: job.seed, initial });
}
