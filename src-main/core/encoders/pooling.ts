// Pooling turns an encoder's per-token (or per-patch, per-frame) states into one vector per item.
// We pool before the connector (the authors' per-token variant is out of scope).
import { EncoderError } from './errors.ts';

/**
 * - cls: the first token's state (ViT/DINOv2/CLIP vision, BERT-style CLS);
 * - mean: the mean over tokens, counting only those the mask marks as real (sentence encoders, audio);
 * - mean-last-two: the mean over tokens of the average of the last two hidden layers (what the
 *   Alt-MoE authors do for LLM text features);
 * - none: the model already outputs one vector per item (text_embeds, image_embeds, ...).
 */
export const POOLINGS = ['cls', 'mean', 'mean-last-two', 'none'] as const;
export type Pooling = (typeof POOLINGS)[number];

/** Per-item states: batch-major float32 with dims [B, S, D] (or [B, D] for 'none'). */
export interface States {
  data: Float32Array;
  dims: readonly number[];
}

/**
 * Pools `layers` (one States for most poolings, the last two layers for 'mean-last-two') into
 * [B, D]. `mask` ([B, S], 1 = real token) limits 'mean' to real tokens; absent = all count.
 */
export function pool(pooling: Pooling, layers: readonly States[], mask?: Float32Array): { data: Float32Array; dim: number } {
  const top = layers[layers.length - 1]!;
  if (pooling === 'none') {
    if (top.dims.length !== 2) throw new EncoderError(`pooling "none" expects a [batch, dim] output, got [${top.dims.join(', ')}]`);
    return { data: top.data, dim: top.dims[1]! };
  }
  if (top.dims.length !== 3) throw new EncoderError(`pooling "${pooling}" expects a [batch, tokens, dim] output, got [${top.dims.join(', ')}]`);
  const [b, s, d] = top.dims as [number, number, number];
  const out = new Float32Array(b * d);
  if (pooling === 'cls') {
    for (let i = 0; i < b; i++) out.set(top.data.subarray(i * s * d, i * s * d + d), i * d);
    return { data: out, dim: d };
  }
  let sources: readonly Float32Array[] = [top.data];
  if (pooling === 'mean-last-two') {
    if (layers.length < 2) throw new EncoderError('pooling "mean-last-two" needs the model to output its hidden layers (hidden_states.N)');
    const below = layers[layers.length - 2]!;
    if (below.dims.join() !== top.dims.join()) throw new EncoderError('the last two hidden layers differ in shape');
    sources = [below.data, top.data];
  }
  const weight = 1 / sources.length;
  for (let i = 0; i < b; i++) {
    let count = 0;
    const acc = out.subarray(i * d, (i + 1) * d);
    for (let t = 0; t < s; t++) {
      const m = mask ? mask[i * s + t]! : 1;
      if (m === 0) continue;
      count += m;
      const off = (i * s + t) * d;
      for (const src of sources) for (let j = 0; j < d; j++) acc[j]! += m * weight * src[off + j]!;
    }
    // An item with no real token (empty text) would divide by zero: leave it zero, the caller rejects it.
    if (count > 0) for (let j = 0; j < d; j++) acc[j]! /= count;
  }
  return { data: out, dim: d };
}

/** A [B, S] mask that keeps the first ceil(share * S) positions of each item. */
export function maskFromShares(shares: Float32Array, s: number): Float32Array {
  const mask = new Float32Array(shares.length * s);
  shares.forEach((share, i) => mask.fill(1, i * s, i * s + Math.max(1, Math.ceil(share * s))));
  return mask;
}
