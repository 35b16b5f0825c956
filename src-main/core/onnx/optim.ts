// Optimizers, gradient clipping and learning-rate schedules as ONNX graph pieces, so one
// train_step run does forward, backward and update together on whatever provider runs it.
import type { Graph, Tensor } from './graph.ts';
import { sumOfSquares } from './nn.ts';
import * as op from './ops.ts';

export interface ScheduleConfig {
  /** Linear warm-up from lr/warmupSteps to lr over this many steps. */
  warmupSteps: number;
  /** Cosine decay ends here; later steps keep the minimum. */
  totalSteps: number;
  /** The floor of the cosine, as a fraction of lr. */
  minLrRatio: number;
}

export interface OptimizerConfig {
  kind: 'adamw' | 'sgd';
  lr: number;
  weightDecay: number;
  /** AdamW */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** SGD */
  momentum?: number;
  /** Global gradient-norm clipping; 0 or absent: none. */
  clipNorm?: number;
  /** null: constant learning rate. */
  schedule: ScheduleConfig | null;
}

export const DEFAULT_ADAMW: OptimizerConfig = { kind: 'adamw', lr: 1e-3, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: 1, schedule: null };

/** Names of the optimizer state tensors of one parameter (same shape as the parameter). */
export function stateNames(config: OptimizerConfig, param: string): string[] {
  return config.kind === 'adamw' ? [`adam_m.${param}`, `adam_v.${param}`] : [`momentum.${param}`];
}

/** lr(step) with warm-up and cosine decay; `step` is the 1-based float step number. */
export function learningRate(g: Graph, config: OptimizerConfig, step: Tensor): Tensor {
  const base = g.scalar(config.lr);
  const s = config.schedule;
  if (!s) return base;
  const warm = Math.max(1, s.warmupSteps);
  const warmup = op.mul(base, op.minimum(op.div(step, warm), 1));
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = op.minimum(op.maximum(op.div(op.sub(step, s.warmupSteps), span), 0), 1);
  const cosine = op.mul(op.add(g.node('Cos', [op.mul(progress, Math.PI)], [{ dtype: step.dtype, shape: [] }], {}, 'none')[0]!, 1), 0.5);
  const decayed = op.mul(base, op.add(op.mul(cosine, 1 - s.minLrRatio), s.minLrRatio));
  return op.where(op.lessOrEqual(step, s.warmupSteps), warmup, decayed);
}

export interface OptimizerStep {
  params: Tensor[];
  states: Tensor[][];
  lr: Tensor;
  gradNorm: Tensor;
}

/**
 * Appends one optimizer update. grads[i] belongs to params[i]; states[i] are that parameter's
 * state tensors in stateNames order; updates[i] (default: step) is how many times params[i] has
 * been updated including this time. Gradients are first clipped to clipNorm by global norm.
 * Weight decay is decoupled (AdamW) and skipped for 1-D parameters (biases, norms), as is usual.
 */
export function applyOptimizer(g: Graph, config: OptimizerConfig, params: Tensor[], grads: Tensor[], states: Tensor[][], step: Tensor, updates?: Tensor[]): OptimizerStep {
  // The update is memory-bound (a few passes over every parameter), so every scalar factor is
  // folded first and each parameter sees as few elementwise passes as possible.
  const gradNorm = op.sqrt(sumOfSquares(g, grads));
  const clip = config.clipNorm && config.clipNorm > 0 ? op.minimum(op.div(config.clipNorm, op.add(gradNorm, 1e-6)), 1) : g.scalar(1);
  const lr = learningRate(g, config, step);
  const newParams: Tensor[] = [];
  const newStates: Tensor[][] = [];
  if (config.kind === 'adamw') {
    const b1 = config.beta1 ?? 0.9;
    const b2 = config.beta2 ?? 0.999;
    const eps = config.eps ?? 1e-8;
    const pow = (b: number, t: Tensor): Tensor => g.node('Pow', [g.scalar(b), t], [{ dtype: t.dtype, shape: [] }], {}, 'none')[0]!;
    const mScale = op.mul(clip, 1 - b1); // clipping folded into the moment updates
    const vScale = op.mul(op.mul(clip, clip), 1 - b2);
    // Bias corrections 1 - beta^t use each parameter's own update count t (parameters of one
    // direction are updated only on that direction's steps), as PyTorch's per-parameter step does.
    const factors = new Map<Tensor, { stepSize: Tensor; epsHat: Tensor }>();
    const factorsFor = (t: Tensor): { stepSize: Tensor; epsHat: Tensor } => {
      let f = factors.get(t);
      if (!f) {
        const c1 = op.sub(1, pow(b1, t));
        const sqrtC2 = op.sqrt(op.sub(1, pow(b2, t)));
        // p' = p (1 - lr wd) - lr sqrt(c2)/c1 * m' / (sqrt(v') + eps sqrt(c2)), equal to AdamW with m/c1 and sqrt(v/c2).
        factors.set(t, (f = { stepSize: op.div(op.mul(lr, sqrtC2), c1), epsHat: op.mul(sqrtC2, eps) }));
      }
      return f;
    };
    params.forEach((p, i) => {
      const { stepSize, epsHat } = factorsFor(updates?.[i] ?? step);
      const grad = grads[i]!;
      const [m0, v0] = states[i]!;
      const m = op.add(op.mul(m0!, b1), op.mul(grad, mScale));
      const v = op.add(op.mul(v0!, b2), op.mul(op.mul(grad, grad), vScale));
      const ratio = op.div(m, op.add(op.sqrt(v), epsHat));
      const decay = p.rank > 1 ? config.weightDecay : 0;
      const kept = decay > 0 ? op.mul(p, op.sub(1, op.mul(lr, decay))) : p;
      newParams.push(op.sub(kept, op.mul(ratio, stepSize)));
      newStates.push([m, v]);
    });
  } else {
    const mu = config.momentum ?? 0.9;
    params.forEach((p, i) => {
      const [b0] = states[i]!;
      const decay = p.rank > 1 ? config.weightDecay : 0;
      const grad = op.mul(grads[i]!, clip);
      const d = decay > 0 ? op.add(grad, op.mul(p, decay)) : grad;
      const buf = op.add(op.mul(b0!, mu), d);
      newParams.push(op.sub(p, op.mul(buf, lr)));
      newStates.push([buf]);
    });
  }
  return { params: newParams, states: newStates, lr, gradNorm };
}
