import { describe, expect, it } from 'vitest';
import { Graph } from '../../src-main/core/onnx/graph.ts';
import * as op from '../../src-main/core/onnx/ops.ts';
import { createSession, tensor } from '../../src-main/core/onnx/runtime.ts';

describe('graph builder + runtime', () => {
  it('builds a model that ORT runs, with exact shapes and values', async () => {
    const g = new Graph('smoke', 'float32');
    const x = g.input('x', 'float32', ['N', 3]);
    const w = g.param('w', [3, 2]);
    const y = op.add(op.matmul(x, w), 1);
    expect(y.shape).toEqual(['N', 2]);
    g.output(y, 'y');
    const s = await createSession(g.toModel({ paramsAs: 'initializers', values: new Map([['w', Float32Array.from([1, 0, 0, 1, 1, 1])]]) }));
    const out = await s.run({ x: tensor('float32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6])) });
    expect(out.y!.dims).toEqual([2, 2]);
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1 + 3 + 1, 2 + 3 + 1, 4 + 6 + 1, 5 + 6 + 1]);
  });

  it('catches shape mistakes while the graph is built', () => {
    const g = new Graph('bad', 'float32');
    const a = g.input('a', 'float32', ['N', 3]);
    const b = g.param('b', [4, 2]);
    expect(() => op.matmul(a, b)).toThrow(/MatMul: inner dims 3 and 4 differ/);
    expect(() => op.add(a, g.param('c', [2]))).toThrow(/Add: shapes \[N, 3\] and \[2\] do not broadcast/);
    expect(() => op.reshape(g.param('d', [2, 3]), [4, 2])).toThrow(/cannot reshape \[2, 3\] to \[4, 2\]/);
  });
});
