import type { Dataset } from '../../src-main/core/train/data.ts';
import { mulberry32, normal } from '../../src-main/core/util/rng.ts';
import type { RegressionConfig } from '../../src-main/core/model/regression.ts';
import type { TrainJob } from '../../src-main/core/train/job.ts';

/** y = tanh(x A) + noise: the best possible mean squared error is the noise variance. */
export function synthetic(rows: number, inDim: number, outDim: number, noise: number, seed: number): Dataset {
  const rand = mulberry32(seed);
  // The true map comes from its own fixed stream, so train and validation sets share it.
  const arand = mulberry32(1234);
  const a = Float64Array.from({ length: inDim * outDim }, () => normal(arand) / Math.sqrt(inDim));
  const x = new Float32Array(rows * inDim);
  const y = new Float32Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inDim; i++) x[r * inDim + i] = normal(rand);
    for (let o = 0; o < outDim; o++) {
      let s = 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i]! * a[i * outDim + o]!;
      y[r * outDim + o] = Math.tanh(1.5 * s) + noise * normal(rand);
    }
  }
  return { x: { dtype: 'float32', shape: [rows, inDim], data: x }, y: { dtype: 'float32', shape: [rows, outDim], data: y } };
}

export const SMALL_MLP: RegressionConfig = { kind: 'regression', block: 'mlp', inDim: 8, outDim: 4, dim: 32, hidden: 64, layers: 1, experts: 0, topK: 0, dropout: 0, balanceWeight: 0 };
export const SMALL_MOE: RegressionConfig = { kind: 'regression', block: 'moe', inDim: 8, outDim: 4, dim: 16, hidden: 32, layers: 2, experts: 4, topK: 2, dropout: 0.1, balanceWeight: 0.01 };

/** A small MoE training job (AdamW, warm-up + cosine, checkpoint every 10 steps). */
export function moeJob(dir: string, steps: number): TrainJob {
  return {
    dir,
    model: { ...SMALL_MOE },
    optimizer: { kind: 'adamw', lr: 2e-3, weightDecay: 0.01, clipNorm: 1, schedule: { warmupSteps: 10, totalSteps: steps, minLrRatio: 0.1 } },
    steps,
    batchSize: 32,
    seed: 9,
    threads: 1,
    checkpointEvery: 10,
    evalEvery: 0,
  };
}
