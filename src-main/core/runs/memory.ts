// A run's training memory, estimated before anything starts, so a batch or model that cannot fit
// is refused with a one-line reason instead of ONNX Runtime failing to allocate tens of gigabytes.
import os from 'node:os';
import type { ModelSpec } from '../train/spec.ts';
import type { AltMoeConfig } from '../model/altmoe.ts';
import { ConnectorDataError } from './pair-data.ts';

const GB = 1024 ** 3;
/** The share of the machine's memory a run may plan to use. */
export const MEMORY_SHARE = 0.6;

/**
 * Bytes one training step needs, roughly (float32): parameters with their gradients and two Adam
 * moments; per sample the inputs and every hidden activation (each expert computes densely, kept
 * for the backward pass, x3 for gradients and temporaries); and the contrastive loss's batch x batch
 * score matrices (logits, softmax, gradient, both directions), which dominate at large batches.
 */
export function trainingBytes(spec: ModelSpec, model: AltMoeConfig, batch: number): number {
  const params = spec.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  const inputs = Object.values(model.modalities).reduce((s, d) => s + d, 0);
  const experts = model.connector === 'moe' ? model.experts : 1;
  const perSample = inputs + model.layers * (model.dim + experts * model.hidden) + model.dim;
  return 4 * (4 * params + 3 * batch * perSample + 6 * batch * batch);
}

export function checkTrainingMemory(spec: ModelSpec, model: AltMoeConfig, batch: number, total = os.totalmem()): void {
  const need = trainingBytes(spec, model, batch);
  if (need > MEMORY_SHARE * total) {
    throw new ConnectorDataError(
      `the batch size ${batch} needs about ${(need / GB).toFixed(1)} GB to train this model, more than ${Math.round(MEMORY_SHARE * 100)}% of this machine's ${(total / GB).toFixed(0)} GB; use a smaller batch size`,
    );
  }
}
