// The Mixture-of-Experts stack shared by every direction of the connector (and the benchmarks):
// L residual blocks x <- x + sum_{e in topk} g_e(x) FFN_e(LN(x)). Two dispatches compute the same
// function and gradients: 'sparse' (the default) hands each expert only the rows routed to it, so
// compute scales with k, not with the expert count; 'dense' runs every expert on every row and
// zeroes the unrouted ones through their gate. Dense needs no NonZero / GatherND / ScatterND, whose
// data-dependent shapes WebGPU either lacks (NonZero has no WebGPU kernel in ONNX Runtime 1.30)
// or must read back to the CPU, so GPU training uses it.
import type { Tensor } from '../onnx/graph.ts';
import { gelu, linear } from '../onnx/nn.ts';
import * as op from '../onnx/ops.ts';
import type { BuildOptions, Dispatch, ParamSpec } from '../train/spec.ts';

export type { BuildOptions, Dispatch };

export interface MoeConfig {
  dim: number;
  hidden: number;
  experts: number;
  topK: number;
  layers: number;
}

export function moeParams(prefix: string, c: MoeConfig): ParamSpec[] {
  const out: ParamSpec[] = [];
  const w = (fanIn: number): ParamSpec['init'] => ({ kind: 'normal', std: 1 / Math.sqrt(fanIn) });
  for (let l = 0; l < c.layers; l++) {
    const p = `${prefix}.l${l}`;
    out.push({ name: `${p}.ln.scale`, shape: [c.dim], init: { kind: 'ones' } });
    out.push({ name: `${p}.ln.bias`, shape: [c.dim], init: { kind: 'zeros' } });
    out.push({ name: `${p}.router`, shape: [c.dim, c.experts], init: { kind: 'normal', std: 0.02 } });
    for (let e = 0; e < c.experts; e++) {
      out.push({ name: `${p}.e${e}.w1`, shape: [c.dim, c.hidden], init: w(c.dim) });
      out.push({ name: `${p}.e${e}.b1`, shape: [c.hidden], init: { kind: 'zeros' } });
      // Small output weights: each block starts close to the identity (residual).
      out.push({ name: `${p}.e${e}.w2`, shape: [c.hidden, c.dim], init: { kind: 'normal', std: 0.1 / Math.sqrt(c.hidden) } });
      out.push({ name: `${p}.e${e}.b2`, shape: [c.dim], init: { kind: 'zeros' } });
    }
  }
  return out;
}

export interface MoeResult {
  y: Tensor;
  /** Load-balancing loss (Switch style: E * sum_e fraction_e * mean_prob_e), summed over layers. */
  balance: Tensor;
  /** [layers, experts]: fraction of routed slots each expert received. */
  load: Tensor;
}

export function moeStack(x: Tensor, params: Record<string, Tensor>, prefix: string, c: MoeConfig, dispatch: Dispatch = 'sparse'): MoeResult {
  let h = x;
  let balance: Tensor | null = null;
  const loads: Tensor[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = `${prefix}.l${l}`;
    const normed = op.layerNorm(h, params[`${p}.ln.scale`]!, params[`${p}.ln.bias`]!);
    const logits = op.matmul(normed, params[`${p}.router`]!);
    const probs = op.softmax(logits, -1);
    const chosen = op.topkMask(logits, c.topK);
    const picked = op.mul(probs, chosen);
    const gates = op.div(picked, op.add(op.reduceSum(picked, [-1], true), 1e-9));
    let mixed = op.zerosLike(h);
    const expert = (e: number, rows: Tensor): Tensor =>
      linear(gelu(linear(rows, params[`${p}.e${e}.w1`]!, params[`${p}.e${e}.b1`]!)), params[`${p}.e${e}.w2`]!, params[`${p}.e${e}.b2`]!);
    for (let e = 0; e < c.experts; e++) {
      const gate = op.slice(gates, [e], [e + 1], [1]);
      if (dispatch === 'dense') {
        mixed = op.add(mixed, op.mul(expert(e, normed), gate));
        continue;
      }
      const rows = op.nonZeroRows(op.greater(op.reshape(op.slice(chosen, [e], [e + 1], [1]), [-1]), 0));
      mixed = op.scatterNDAdd(mixed, rows, op.mul(expert(e, op.gatherRows(normed, rows)), op.gatherRows(gate, rows)));
    }
    h = op.add(h, mixed);
    const fraction = op.div(op.reduceMean(chosen, [0]), c.topK);
    const meanProb = op.reduceMean(probs, [0]);
    const b = op.mul(op.reduceSum(op.mul(fraction, meanProb), [0]), c.experts);
    balance = balance ? op.add(balance, b) : b;
    loads.push(op.unsqueeze(fraction, [0]));
  }
  return { y: h, balance: balance!, load: loads.length === 1 ? loads[0]! : op.concat(loads, 0) };
}

/** The ablation's plain MLP: the same residual blocks with one FFN (no routing). */
export function mlpParams(prefix: string, c: Omit<MoeConfig, 'experts' | 'topK'>): ParamSpec[] {
  const out: ParamSpec[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = `${prefix}.l${l}`;
    out.push({ name: `${p}.ln.scale`, shape: [c.dim], init: { kind: 'ones' } });
    out.push({ name: `${p}.ln.bias`, shape: [c.dim], init: { kind: 'zeros' } });
    out.push({ name: `${p}.w1`, shape: [c.dim, c.hidden], init: { kind: 'normal', std: 1 / Math.sqrt(c.dim) } });
    out.push({ name: `${p}.b1`, shape: [c.hidden], init: { kind: 'zeros' } });
    out.push({ name: `${p}.w2`, shape: [c.hidden, c.dim], init: { kind: 'normal', std: 0.1 / Math.sqrt(c.hidden) } });
    out.push({ name: `${p}.b2`, shape: [c.dim], init: { kind: 'zeros' } });
  }
  return out;
}

export function mlpStack(x: Tensor, params: Record<string, Tensor>, prefix: string, c: Omit<MoeConfig, 'experts' | 'topK'>): Tensor {
  let h = x;
  for (let l = 0; l < c.layers; l++) {
    const p = `${prefix}.l${l}`;
    const normed = op.layerNorm(h, params[`${p}.ln.scale`]!, params[`${p}.ln.bias`]!);
    h = op.add(h, linear(gelu(linear(normed, params[`${p}.w1`]!, params[`${p}.b1`]!)), params[`${p}.w2`]!, params[`${p}.b2`]!));
  }
  return h;
}
