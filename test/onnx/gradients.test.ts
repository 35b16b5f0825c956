import { describe, expect, it } from 'vitest';
import { gradients } from '../../src-main/core/onnx/autodiff.ts';
import { Graph, type Tensor } from '../../src-main/core/onnx/graph.ts';
import * as nn from '../../src-main/core/onnx/nn.ts';
import * as op from '../../src-main/core/onnx/ops.ts';
import { tensor } from '../../src-main/core/onnx/runtime.ts';
import { gradCheck, seeded, weightedSum, type Built } from './gradcheck.ts';

type Case = { name: string; build: (g: Graph) => Built; float32?: boolean; transform?: (name: string, v: number) => number };

const positive = (_: string, v: number): number => 0.5 + Math.abs(v); // for log, sqrt, pow, div

function ints(g: Graph, name: string, shape: number[], values: number[]): { t: Tensor; feed: Record<string, ReturnType<typeof tensor>> } {
  return { t: g.input(name, 'int64', shape), feed: { [name]: tensor('int64', shape, BigInt64Array.from(values.map(BigInt))) } };
}

/** One case per op: sum(w * op(params)) with a fixed random weighting w. */
const CASES: Case[] = [
  { name: 'Add (broadcast row + column)', build: (g) => { const a = g.param('a', [3, 1]); const b = g.param('b', [1, 4]); return { loss: weightedSum(g, op.add(a, b)), params: [a, b] }; } },
  { name: 'Sub (broadcast rank)', build: (g) => { const a = g.param('a', [2, 3, 4]); const b = g.param('b', [4]); return { loss: weightedSum(g, op.sub(a, b)), params: [a, b] }; } },
  { name: 'Mul (broadcast)', build: (g) => { const a = g.param('a', [2, 3]); const b = g.param('b', [2, 1]); return { loss: weightedSum(g, op.mul(a, b)), params: [a, b] }; } },
  { name: 'Div (broadcast)', transform: positive, build: (g) => { const a = g.param('a', [2, 3]); const b = g.param('b', [3]); return { loss: weightedSum(g, op.div(a, b)), params: [a, b] }; } },
  { name: 'Neg', build: (g) => { const a = g.param('a', [5]); return { loss: weightedSum(g, op.neg(a)), params: [a] }; } },
  { name: 'Exp', build: (g) => { const a = g.param('a', [2, 3]); return { loss: weightedSum(g, op.exp(a)), params: [a] }; } },
  { name: 'Log', transform: positive, build: (g) => { const a = g.param('a', [2, 3]); return { loss: weightedSum(g, op.log(a)), params: [a] }; } },
  { name: 'Sqrt', transform: positive, build: (g) => { const a = g.param('a', [2, 3]); return { loss: weightedSum(g, op.sqrt(a)), params: [a] }; } },
  { name: 'Pow (x^2.5)', transform: positive, build: (g) => { const a = g.param('a', [2, 3]); return { loss: weightedSum(g, op.pow(a, 2.5)), params: [a] }; } },
  { name: 'Tanh', build: (g) => { const a = g.param('a', [2, 3]); return { loss: weightedSum(g, op.tanh(a)), params: [a] }; } },
  { name: 'Sigmoid', build: (g) => { const a = g.param('a', [2, 3]); return { loss: weightedSum(g, op.sigmoid(a)), params: [a] }; } },
  { name: 'Relu', transform: (_, v) => (Math.abs(v) < 0.05 ? v + 0.2 : v), build: (g) => { const a = g.param('a', [3, 4]); return { loss: weightedSum(g, op.relu(a)), params: [a] }; } },
  { name: 'Abs', transform: (_, v) => (Math.abs(v) < 0.05 ? v + 0.2 : v), build: (g) => { const a = g.param('a', [3, 4]); return { loss: weightedSum(g, op.abs(a)), params: [a] }; } },
  { name: 'Erf and GELU', float32: true, build: (g) => { const a = g.param('a', [3, 4]); return { loss: op.add(weightedSum(g, op.erf(a)), weightedSum(g, nn.gelu(a), 5)), params: [a] }; } },
  { name: 'Min / Max', build: (g) => { const a = g.param('a', [3, 4]); const b = g.param('b', [4]); return { loss: op.add(weightedSum(g, op.minimum(a, b)), weightedSum(g, op.maximum(a, b), 4)), params: [a, b] }; } },
  { name: 'Where', build: (g) => {
    const a = g.param('a', [3, 4]); const b = g.param('b', [4]); const c = g.input('c', 'float64', [3, 4]); const rand = seeded(11);
    return { loss: weightedSum(g, op.where(op.greater(c, 0), a, b)), params: [a, b], feeds: { c: tensor('float64', [3, 4], Float64Array.from({ length: 12 }, rand)) } };
  } },
  { name: 'Cast (float32 <-> float64)', float32: true, build: (g) => { const a = g.param('a', [3, 4]); return { loss: weightedSum(g, op.cast(op.mul(op.cast(a, 'float64'), op.cast(a, 'float64')), 'float32')), params: [a] }; } },
  { name: 'MatMul 2-D', build: (g) => { const a = g.param('a', [3, 4]); const b = g.param('b', [4, 2]); return { loss: weightedSum(g, op.matmul(a, b)), params: [a, b] }; } },
  { name: 'MatMul 3-D x 2-D', build: (g) => { const a = g.param('a', [2, 3, 4]); const b = g.param('b', [4, 5]); return { loss: weightedSum(g, op.matmul(a, b)), params: [a, b] }; } },
  { name: 'MatMul batched with broadcast', build: (g) => { const a = g.param('a', [2, 3, 4]); const b = g.param('b', [1, 4, 2]); return { loss: weightedSum(g, op.matmul(a, b)), params: [a, b] }; } },
  { name: 'Gemm (transA, transB, alpha, beta, C broadcast)', build: (g) => { const a = g.param('a', [4, 3]); const b = g.param('b', [2, 4]); const c = g.param('c', [2]); return { loss: weightedSum(g, op.gemm(a, b, c, { alpha: 0.7, beta: 1.3, transA: true, transB: true })), params: [a, b, c] }; } },
  { name: 'Gemm (plain)', build: (g) => { const a = g.param('a', [3, 4]); const b = g.param('b', [4, 2]); const c = g.param('c', [3, 2]); return { loss: weightedSum(g, op.gemm(a, b, c)), params: [a, b, c] }; } },
  { name: 'Transpose', build: (g) => { const a = g.param('a', [2, 3, 4]); return { loss: weightedSum(g, op.transpose(a, [2, 0, 1])), params: [a] }; } },
  { name: 'Reshape / Unsqueeze / Squeeze', build: (g) => { const a = g.param('a', [2, 6]); return { loss: weightedSum(g, op.squeeze(op.unsqueeze(op.reshape(a, [3, -1]), [0]), [0])), params: [a] }; } },
  { name: 'Expand', build: (g) => { const a = g.param('a', [1, 4]); const like = g.param('like', [3, 4]); return { loss: op.add(weightedSum(g, op.expandLike(a, like)), weightedSum(g, like, 8)), params: [a, like] }; } },
  { name: 'Concat', build: (g) => { const a = g.param('a', [2, 3]); const b = g.param('b', [2, 1]); return { loss: weightedSum(g, op.concat([a, b, a], 1)), params: [a, b] }; } },
  { name: 'Split (one output unused)', build: (g) => { const a = g.param('a', [5, 2]); const [p, , r] = op.split(a, [2, 1, 2], 0); return { loss: op.add(weightedSum(g, p!), weightedSum(g, r!, 9)), params: [a] }; } },
  { name: 'Slice', build: (g) => { const a = g.param('a', [4, 5]); return { loss: weightedSum(g, op.slice(a, [1, -3], [3, 5], [0, 1])), params: [a] }; } },
  { name: 'Gather (repeated indices)', build: (g) => { const a = g.param('a', [5, 3]); const i = ints(g, 'i', [4], [1, 3, 1, 0]); return { loss: weightedSum(g, op.gather(a, i.t)), params: [a], feeds: i.feed }; } },
  { name: 'GatherElements', build: (g) => { const a = g.param('a', [3, 4]); const i = ints(g, 'i', [3, 2], [0, 3, 2, 2, 1, 0]); return { loss: weightedSum(g, op.gatherElements(a, i.t, 1)), params: [a], feeds: i.feed }; } },
  { name: 'ScatterElements (overwrite)', build: (g) => { const a = g.param('a', [3, 4]); const u = g.param('u', [3, 1]); const i = ints(g, 'i', [3, 1], [2, 0, 3]); return { loss: weightedSum(g, op.scatterElements(a, i.t, u, 1)), params: [a, u], feeds: i.feed }; } },
  { name: 'ScatterElements (add)', build: (g) => { const a = g.param('a', [3, 4]); const u = g.param('u', [3, 2]); const i = ints(g, 'i', [3, 2], [2, 2, 0, 1, 3, 3]); return { loss: weightedSum(g, op.scatterElements(a, i.t, u, 1, 'add')), params: [a, u], feeds: i.feed }; } },
  { name: 'ReduceSum (keepdims and not)', build: (g) => { const a = g.param('a', [2, 3, 4]); return { loss: op.add(weightedSum(g, op.reduceSum(a, [1])), weightedSum(g, op.reduceSum(a, [0, 2], true), 4)), params: [a] }; } },
  { name: 'ReduceMean', build: (g) => { const a = g.param('a', [2, 3, 4]); return { loss: op.add(weightedSum(g, op.reduceMean(a, [2])), weightedSum(g, op.reduceMean(a, [0], true), 4)), params: [a] }; } },
  { name: 'ReduceMax', build: (g) => { const a = g.param('a', [3, 5]); return { loss: op.add(weightedSum(g, op.reduceMax(a, [1])), weightedSum(g, op.reduceMax(a, [0], true), 4)), params: [a] }; } },
  { name: 'Softmax', build: (g) => { const a = g.param('a', [3, 5]); return { loss: weightedSum(g, op.softmax(a, -1)), params: [a] }; } },
  { name: 'LogSoftmax (from primitives)', build: (g) => { const a = g.param('a', [3, 5]); return { loss: weightedSum(g, nn.logSoftmax(a, 1)), params: [a] }; } },
  { name: 'LayerNormalization', build: (g) => { const x = g.param('x', [2, 3, 6]); const s = g.param('s', [6]); const b = g.param('b', [6]); return { loss: weightedSum(g, op.layerNorm(x, s, b)), params: [x, s, b] }; } },
  { name: 'L2 normalise', build: (g) => { const a = g.param('a', [3, 4]); return { loss: weightedSum(g, nn.l2Normalize(a, -1)), params: [a] }; } },
  { name: 'TopK mask (routing)', build: (g) => { const a = g.param('a', [4, 6]); return { loss: weightedSum(g, op.mul(op.softmax(a), op.topkMask(a, 2))), params: [a] }; } },
  { name: 'Cross-entropy', build: (g) => { const a = g.param('a', [4, 5]); const y = ints(g, 'y', [4], [0, 4, 2, 2]); return { loss: nn.crossEntropy(a, y.t), params: [a], feeds: y.feed }; } },
  { name: 'Smooth L1 and MSE', build: (g) => { const a = g.param('a', [4, 5]); const b = g.param('b', [4, 5]); return { loss: op.add(nn.smoothL1(op.mul(a, 2), b, 0.5), nn.mse(a, b)), params: [a, b] }; } },
  { name: 'Dropout with a fed mask', build: (g) => { const a = g.param('a', [4, 5]); const m = g.input('m', 'float64', [4, 5]); const rand = seeded(4); return { loss: weightedSum(g, nn.dropout(a, m, 0.25)), params: [a], feeds: { m: tensor('float64', [4, 5], Float64Array.from({ length: 20 }, () => (rand() > -0.5 ? 1 : 0))) } }; } },
  { name: 'a 2-layer MLP (matmul, bias, GELU, LayerNorm, residual)', build: (g) => {
    const x = g.param('x', [4, 6]);
    const w1 = g.param('w1', [6, 8]); const b1 = g.param('b1', [8]); const w2 = g.param('w2', [8, 6]); const s = g.param('s', [6]); const b = g.param('b', [6]);
    const h = op.add(x, nn.linear(op.tanh(nn.linear(op.layerNorm(x, s, b), w1, b1)), w2, null));
    return { loss: weightedSum(g, h), params: [x, w1, b1, w2, s, b] };
  } },
];

describe('gradient rules match finite differences', () => {
  for (const c of CASES) {
    it(`${c.name} (${c.float32 ? 'float32, directional' : 'float64, every element'})`, async () => {
      const r = await gradCheck(c.build, { dtype: c.float32 ? 'float32' : 'float64', transform: c.transform });
      expect(r.checked).toBeGreaterThan(0);
    });
  }

  it('the checker catches a wrong gradient (it can fail)', async () => {
    // Exp with a deliberately wrong rule (2 g instead of g e^x).
    await expect(
      gradCheck(
        (g) => {
          const a = g.param('a', [3, 4]);
          const [y] = g.node('Exp', [a], [{ dtype: a.dtype, shape: a.shape }], {}, ([gy]) => [gy ? op.mul(gy, 2) : null]);
          return { loss: weightedSum(g, y!), params: [a] };
        },
        { dtype: 'float64' },
      ),
    ).rejects.toThrow(/gradient of a\[\d+\]: analytic/);
  });

  it('refuses to differentiate through an op without a gradient rule', () => {
    const g = new Graph('g', 'float32');
    const a = g.param('a', [3]);
    const [y] = g.node('Round', [a], [{ dtype: a.dtype, shape: a.shape }]);
    expect(() => gradients(op.reduceSum(y!, [0]), [a])).toThrow(/op Round \(Round_\d+\) has no gradient rule/);
  });
});

describe('the sparse MoE stack (top-k routing, per-expert dispatch) has exact gradients', () => {
  // GELU's Erf has no float64 kernel on the CPU provider: float32 directional checks, several directions.
  it.each([1, 2, 3, 4])('matches a float32 directional derivative (seed %i)', async (seed) => {
    const { moeParams, moeStack } = await import('../../src-main/core/model/moe.ts');
    const cfg = { dim: 4, hidden: 6, experts: 3, topK: 2, layers: 2 };
    await gradCheck((g) => {
      const x = g.param('x', [5, 4]);
      const specs = moeParams('m', cfg);
      const params: Record<string, Tensor> = {};
      for (const p of specs) params[p.name] = g.param(p.name, p.shape);
      const r = moeStack(x, params, 'm', cfg);
      return { loss: op.add(weightedSum(g, r.y), op.mul(r.balance, 0.1)), params: [x, ...Object.values(params)] };
    }, { dtype: 'float32', seed, eps: 1e-3, rtol: 2e-2, atol: 2e-3 });
  });
});
