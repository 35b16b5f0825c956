// A regression model family (x -> y with an MLP or MoE stack): used to test the training engine
// end to end and by `npm run bench:train`.
import type { Tensor } from '../onnx/graph.ts';
import { dropout, linear, mse } from '../onnx/nn.ts';
import * as op from '../onnx/ops.ts';
import { mlpParams, mlpStack, moeParams, moeStack, type BuildOptions } from './moe.ts';
import type { ForwardResult, ModelSpec, ParamSpec } from '../train/spec.ts';

export interface RegressionConfig {
  kind: 'regression';
  block: 'mlp' | 'moe';
  inDim: number;
  outDim: number;
  dim: number;
  hidden: number;
  layers: number;
  experts: number;
  topK: number;
  /** Dropout on the input vectors. */
  dropout: number;
  balanceWeight: number;
  floatType?: 'float32' | 'float64';
}

export function regressionModel(c: RegressionConfig, build: BuildOptions = {}): ModelSpec {
  const floatType = c.floatType ?? 'float32';
  const params: ParamSpec[] = [
    { name: 'in.w', shape: [c.inDim, c.dim], init: { kind: 'normal', std: 1 / Math.sqrt(c.inDim) } },
    { name: 'in.b', shape: [c.dim], init: { kind: 'zeros' } },
    ...(c.block === 'moe' ? moeParams('stack', c) : mlpParams('stack', c)),
    { name: 'out.w', shape: [c.dim, c.outDim], init: { kind: 'normal', std: 1 / Math.sqrt(c.dim) } },
    { name: 'out.b', shape: [c.outDim], init: { kind: 'zeros' } },
  ];
  const forward = (_g: unknown, inputs: Record<string, Tensor>, p: Record<string, Tensor>, training: boolean): ForwardResult => {
    const x = training && c.dropout > 0 ? dropout(inputs.x!, inputs['keep.x']!, c.dropout) : inputs.x!;
    const h = linear(x, p['in.w']!, p['in.b']!);
    if (c.block === 'moe') {
      const r = moeStack(h, p, 'stack', c, build.dispatch);
      const pred = linear(r.y, p['out.w']!, p['out.b']!);
      const err = mse(pred, inputs.y!);
      return { loss: op.add(err, op.mul(r.balance, c.balanceWeight)), outputs: { pred }, metrics: { mse: err, expert_load: r.load } };
    }
    const pred = linear(mlpStack(h, p, 'stack', c), p['out.w']!, p['out.b']!);
    const err = mse(pred, inputs.y!);
    return { loss: err, outputs: { pred }, metrics: { mse: err } };
  };
  return {
    config: { ...c },
    floatType,
    params,
    tasks: [
      {
        name: 'main',
        trainable: null,
        inputs: [
          { name: 'x', dtype: floatType, shape: ['N', c.inDim] },
          { name: 'y', dtype: floatType, shape: ['N', c.outDim] },
        ],
        masks: c.dropout > 0 ? [{ name: 'keep.x', shape: ['N', c.inDim], p: c.dropout }] : [],
        forward,
      },
    ],
  };
}
