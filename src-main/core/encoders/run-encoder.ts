// Runs an encoder model on a prepared batch and pools its states into one vector per item.
import { createSession, hostData, tensor, type Provider, type Session } from '../onnx/runtime.ts';
import { EncoderError } from './errors.ts';
import { maskFromShares, pool, type States } from './pooling.ts';
import type { HostTensor, PreparedBatch } from './preprocess.ts';
import type { EncoderSpec } from './spec.ts';

export interface Pooled {
  /** [B, dim] row-major, rows in the order of `batch.ok`. */
  data: Float32Array;
  dim: number;
}

export async function openEncoderSession(onnxFile: string, options: { provider?: Provider; threads?: number; onWarning?: (m: string) => void } = {}): Promise<Session> {
  try {
    return await createSession(onnxFile, options);
  } catch (err) {
    throw new EncoderError(`cannot load ${onnxFile} as an ONNX model: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  }
}

export async function runEncoder(session: Session, spec: Pick<EncoderSpec, 'inputs' | 'outputs' | 'pooling'>, batch: PreparedBatch): Promise<Pooled> {
  const feeds: Record<string, ReturnType<typeof tensor>> = {};
  for (const name of Object.keys(spec.inputs)) {
    const t = batch.feeds[name];
    if (!t) throw new EncoderError(`the preprocessor produced no "${name}", which the model needs`);
    feeds[name] = toTensor(t);
  }
  let out;
  try {
    out = await session.run(feeds, spec.outputs);
  } catch (err) {
    throw new EncoderError(`the model failed on this batch: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  }
  const layers: States[] = [];
  for (const name of spec.outputs) {
    const v = out[name]!;
    const data = await hostData(v);
    if (!(data instanceof Float32Array)) throw new EncoderError(`output "${name}" is ${v.type}, not float32: not an encoder output`);
    layers.push({ data, dims: v.dims });
  }
  const top = layers[layers.length - 1]!;
  const mask = top.dims.length === 3 ? tokenMask(batch, top.dims[0]!, top.dims[1]!) : undefined;
  return pool(spec.pooling, layers, mask);
}

/** The text attention mask when output tokens are input tokens; audio shares scaled to the output frames. */
function tokenMask(batch: PreparedBatch, b: number, s: number): Float32Array | undefined {
  if (batch.mask && batch.mask.length === b * s) return batch.mask;
  if (batch.shares && batch.shares.length === b) return maskFromShares(batch.shares, s);
  return undefined;
}

function toTensor(t: HostTensor): ReturnType<typeof tensor> {
  return tensor(t.type, t.dims, t.data);
}

export const ALL_ZERO = 'the model gave an all-zero vector (nothing in the input it recognises)';

/** Why a pooled vector is unusable (non-finite, or all zero, e.g. a text with no word the model knows), or null. */
export function vectorProblem(v: Float32Array): string | null {
  let any = false;
  for (const x of v) {
    if (!Number.isFinite(x)) return 'the model gave a non-finite vector';
    if (x !== 0) any = true;
  }
  return any ? null : ALL_ZERO;
}
