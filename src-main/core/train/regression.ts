// A regression model family (x -> y with an MLP or MoE stack): used to test the training engine
// end to end and by `npm run bench:train`.
import type { Graph, Tensor } from '../onnx/graph.ts';
import { dropout, linear, mse } from '../onnx/nn.ts';
import * as op from '../onnx/ops.ts';
import { mlpParams, mlpStack, moeParams, moeStack } from '../model/moe.ts';
import type { ModelSpec, ParamSpec } from './spec.ts';

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

export function regressionModel(c: RegressionConfig): ModelSpec {
  const params: ParamSpec[] = [
    { name: 'in.w', shape: [c.inDim, c.dim], init: { kind: 'normal', std: 1 / Math.sqrt(c.inDim) } },
    { name: 'in.b', shape: [c.dim], init: { kind: 'zeros' } },
    ...(c.block === 'moe' ? moeParams('stack', c) : mlpParams('stack', c)),
    { name: 'out.w', shape: [c.dim, c.outDim], init: { kind: 'normal', std: 1 / Math.sqrt(c.dim) } },
    { name: 'out.b', shape: [c.outDim], init: { kind: 'zeros' } },
  ];
  return {
    config: { ...c },
    floatType: c.floatType ?? 'float32',
    params,
    inputs: [
      { name: 'x', dtype: c.floatType ?? 'float32', shape: ['N', c.inDim] },
      { name: 'y', dtype: c.floatType ?? 'float32', shape: ['N', c.outDim] },
    ],
    masks: c.dropout > 0 ? [{ name: 'keep.x', shape: ['N', c.inDim], p: c.dropout }] : [],
    forward(_g: Graph, inputs: Record<string, Tensor>, p: Record<string, Tensor>, training: boolean) {
      const x = training && c.dropout > 0 ? dropout(inputs.x!, inputs['keep.x']!, c.dropout) : inputs.x!;
      const h = linear(x, p['in.w']!, p['in.b']!);
      let body: Tensor;
      const metrics: Record<string, Tensor> = {};
      let loss: Tensor;
      if (c.block === 'moe') {
        const r = moeStack(h, p, 'stack', c);
        body = r.y;
        metrics.expert_load = r.load;
        const pred = linear(body, p['out.w']!, p['out.b']!);
        loss = op.add(mse(pred, inputs.y!), op.mul(r.balance, c.balanceWeight));
        metrics.mse = mse(pred, inputs.y!);
        return { loss, outputs: { pred }, metrics };
      }
      body = mlpStack(h, p, 'stack', c);
      const pred = linear(body, p['out.w']!, p['out.b']!);
      loss = mse(pred, inputs.y!);
      return { loss, outputs: { pred }, metrics: { mse: loss } };
    },
  };
}
