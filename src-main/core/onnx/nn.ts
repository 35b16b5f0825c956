// Composite layers and losses built from ops.ts primitives (their gradients follow automatically).
import type { Graph, Tensor } from './graph.ts';
import * as op from './ops.ts';

/** x @ W + b. */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const y = op.matmul(x, w);
  return b ? op.add(y, b) : y;
}

/** Exact GELU: 0.5 x (1 + erf(x / sqrt 2)). */
export function gelu(x: Tensor): Tensor {
  return op.mul(op.mul(x, 0.5), op.add(op.erf(op.mul(x, Math.SQRT1_2)), 1));
}

/**
 * log softmax along an axis from primitives (some providers lack LogSoftmax). The max is held
 * constant: the result does not depend on it, so its gradient is exactly zero anyway.
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const ax = axis < 0 ? axis + x.rank : axis;
  const shifted = op.sub(x, op.stopGradient(op.reduceMax(x, [ax], true)));
  return op.sub(shifted, op.log(op.reduceSum(op.exp(shifted), [ax], true)));
}

/** x / sqrt(sum(x^2) + eps) along an axis. */
export function l2Normalize(x: Tensor, axis = -1, eps = 1e-12): Tensor {
  return op.div(x, op.sqrt(op.add(op.reduceSum(op.mul(x, x), [axis], true), eps)));
}

/** Mean cross-entropy of logits [N, C] against int64 labels [N]. */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const picked = op.gatherElements(logSoftmax(logits, 1), op.unsqueeze(labels, [1]), 1);
  return op.neg(op.reduceMean(picked, [0, 1]));
}

/** Mean squared error over all elements. */
export function mse(pred: Tensor, target: Tensor): Tensor {
  const d = op.sub(pred, target);
  return op.reduceMean(op.mul(d, d), allAxes(d));
}

/** Smooth L1 (Huber with beta): 0.5 d^2 / beta where |d| < beta, else |d| - beta / 2; mean over all. */
export function smoothL1(pred: Tensor, target: Tensor, beta = 1): Tensor {
  const d = op.sub(pred, target);
  const a = op.abs(d);
  const quad = op.div(op.mul(op.mul(d, d), 0.5), beta);
  const lin = op.sub(a, beta / 2);
  return op.reduceMean(op.where(op.less(a, beta), quad, lin), allAxes(d));
}

/** Inverted dropout with a 0/1 keep-mask fed from outside (so runs are reproducible and resumable). */
export function dropout(x: Tensor, keepMask: Tensor, p: number): Tensor {
  return p > 0 ? op.mul(op.mul(x, keepMask), 1 / (1 - p)) : x;
}

export function allAxes(x: Tensor): number[] {
  return Array.from({ length: x.rank }, (_, i) => i);
}

/** Sum of squares of many tensors, one pass each (ReduceSumSquare); not differentiable. */
export function sumOfSquares(g: Graph, xs: readonly Tensor[]): Tensor {
  let total: Tensor | null = null;
  for (const x of xs) {
    const s = g.node('ReduceSumSquare', [x, g.ints(allAxes(x))], [{ dtype: x.dtype, shape: [] }], { keepdims: { i: 0 } }, 'none')[0]!;
    total = total ? op.add(total, s) : s;
  }
  return total ?? g.scalar(0);
}

/**
 * Symmetric InfoNCE over a batch of N aligned pairs: cosine similarities / temperature, with the
 * i-th row of a matching the i-th row of b. `scale` is 1 / temperature (a constant or a learned
 * parameter). Returns the mean of the a->b and b->a cross-entropies.
 */
export function infoNCE(a: Tensor, b: Tensor, scale: Tensor): Tensor {
  const logits = op.mul(op.matmul(l2Normalize(a, -1), op.transpose(l2Normalize(b, -1), [1, 0])), scale);
  const idx = op.rangeAlong(a, 0);
  const rows = op.gatherElements(logSoftmax(logits, 1), op.unsqueeze(idx, [1]), 1);
  const cols = op.gatherElements(logSoftmax(logits, 0), op.unsqueeze(idx, [0]), 0);
  return op.mul(op.add(op.reduceMean(rows, [0, 1]), op.reduceMean(cols, [0, 1])), -0.5);
}
