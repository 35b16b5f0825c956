// ONNX ops with shape inference and their gradient rules (vector-Jacobian products).
// Every gradient is itself made of standard ONNX ops (no contrib or training ops), so the
// backward graphs run on every execution provider.
import { GraphError, Tensor, type DType, type Dim, type Shape, type Vjp } from './graph.ts';
import { ONNX_DTYPE } from './proto.ts';
import { axisOf, broadcastShapes, reshapeShape } from './shapes.ts';

const FLOATS: readonly DType[] = ['float32', 'float64'];

function isFloat(t: Tensor): boolean {
  return FLOATS.includes(t.dtype);
}

function sameGraph(...ts: Tensor[]): void {
  const g = ts[0]!.graph;
  for (const t of ts) if (t.graph !== g) throw new GraphError(`tensors ${ts.map((x) => x.name).join(', ')} belong to different graphs`);
}

function checkSameType(op: string, ...ts: Tensor[]): void {
  sameGraph(...ts);
  const d = ts[0]!.dtype;
  for (const t of ts) if (t.dtype !== d) throw new GraphError(`${op}: mixed types ${ts.map((x) => x.dtype).join(', ')}`);
}

/** A unary op whose output has the input's type and shape. */
function unary(op: string, x: Tensor, vjp?: (g: Tensor, y: Tensor) => Tensor): Tensor {
  const y: Tensor = x.graph.node(op, [x], [{ dtype: x.dtype, shape: x.shape }], {}, vjp && isFloat(x) ? ([g]) => [g ? vjp(g, y) : null] : 'none')[0]!;
  return y;
}

// ---------------------------------------------------------------- shapes at run time

export function shapeOf(x: Tensor): Tensor {
  return x.graph.node('Shape', [x], [{ dtype: 'int64', shape: [x.rank] }], {}, 'none')[0]!;
}

/** A constant of x's type broadcast to a run-time shape (Expand, valid for symbolic shapes). */
function filled(like: Tensor, shape: Tensor, outShape: Shape, value: number): Tensor {
  // Expand of a scalar rather than ConstantOfShape, which has no WebGPU kernel (onnx/webgpu-ops.ts).
  return like.graph.node('Expand', [like.graph.scalar(value, like.dtype), shape], [{ dtype: like.dtype, shape: outShape }], {}, 'none')[0]!;
}

/** A tensor of zeros with x's shape and type. */
export function zerosLike(x: Tensor): Tensor {
  return filled(x, shapeOf(x), x.shape, 0);
}

// ---------------------------------------------------------------- elementwise arithmetic

/** Sums a broadcast gradient back to the shape of the operand it belongs to. */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  const lead = g.rank - shape.length;
  let out = g;
  if (lead > 0) out = reduceSum(out, Array.from({ length: lead }, (_, i) => i), false);
  const axes: number[] = [];
  shape.forEach((d, i) => {
    if (d === 1 && out.shape[i] !== 1) axes.push(i);
  });
  if (axes.length > 0) out = reduceSum(out, axes, true);
  return out;
}

function binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: Tensor, b: Tensor): Tensor {
  checkSameType(op, a, b);
  const shape = broadcastShapes(a.shape, b.shape, op);
  const vjp: Vjp | 'none' = isFloat(a)
    ? ([g]: (Tensor | null)[], need: boolean[]): (Tensor | null)[] => {
        if (!g) return [null, null];
        let ga: Tensor | null = null;
        let gb: Tensor | null = null;
        if (op === 'Add') {
          if (need[0]) ga = g;
          if (need[1]) gb = g;
        } else if (op === 'Sub') {
          if (need[0]) ga = g;
          if (need[1]) gb = neg(g);
        } else if (op === 'Mul') {
          if (need[0]) ga = mul(g, b);
          if (need[1]) gb = mul(g, a);
        } else {
          if (need[0]) ga = div(g, b);
          // d(a/b)/db = -a/b^2 = -y/b
          if (need[1]) gb = neg(div(mul(g, y), b));
        }
        return [ga && unbroadcast(ga, a.shape), gb && unbroadcast(gb, b.shape)];
      }
    : 'none';
  const y: Tensor = a.graph.node(op, [a, b], [{ dtype: a.dtype, shape }], {}, vjp)[0]!;
  return y;
}

type Operand = Tensor | number;
const lift = (x: Operand, like: Tensor): Tensor => (typeof x === 'number' ? like.graph.scalar(x, like.dtype) : x);

/** Add / Sub / Mul / Div where either side may be a plain number (made a scalar of the other's type). */
function arith(name: 'Add' | 'Sub' | 'Mul' | 'Div'): (a: Operand, b: Operand) => Tensor {
  return (a, b) => {
    const t = (a instanceof Tensor ? a : b) as Tensor;
    return binary(name, lift(a, t), lift(b, t));
  };
}
export const add = arith('Add');
export const sub = arith('Sub');
export const mul = arith('Mul');
export const div = arith('Div');

export function neg(x: Tensor): Tensor {
  return unary('Neg', x, (g) => neg(g));
}

export function exp(x: Tensor): Tensor {
  return unary('Exp', x, (g, y) => mul(g, y));
}

export function log(x: Tensor): Tensor {
  return unary('Log', x, (g) => div(g, x));
}

export function sqrt(x: Tensor): Tensor {
  return unary('Sqrt', x, (g, y) => div(mul(g, 0.5), y));
}

export function tanh(x: Tensor): Tensor {
  return unary('Tanh', x, (g, y) => mul(g, sub(1, mul(y, y))));
}

export function sigmoid(x: Tensor): Tensor {
  return unary('Sigmoid', x, (g, y) => mul(g, mul(y, sub(1, y))));
}

export function relu(x: Tensor): Tensor {
  return unary('Relu', x, (g) => mul(g, cast(greater(x, 0), x.dtype)));
}

export function abs(x: Tensor): Tensor {
  return unary('Abs', x, (g) => mul(g, sign(x)));
}

/** sign(x) as (x > 0) - (x < 0): the same values as Sign, which WebGPU lacks. No gradient. */
export function sign(x: Tensor): Tensor {
  return sub(cast(greater(x, 0), x.dtype), cast(less(x, 0), x.dtype));
}

export function erf(x: Tensor): Tensor {
  // d erf(x)/dx = 2/sqrt(pi) * exp(-x^2)
  return unary('Erf', x, (g) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
}

/** x ** p for a constant exponent p. */
export function pow(x: Tensor, p: number): Tensor {
  const y: Tensor = x.graph.node('Pow', [x, x.graph.scalar(p, x.dtype)], [{ dtype: x.dtype, shape: x.shape }], {}, ([g]) => [
    g ? mul(g, mul(pow(x, p - 1), p)) : null,
  ])[0]!;
  return y;
}

/** Elementwise minimum / maximum; the gradient goes to the chosen operand (to a on ties). */
export function minimum(a: Tensor, b: Operand): Tensor {
  return pick('Min', a, lift(b, a));
}
export function maximum(a: Tensor, b: Operand): Tensor {
  return pick('Max', a, lift(b, a));
}
function pick(op: 'Min' | 'Max', a: Tensor, b: Tensor): Tensor {
  checkSameType(op, a, b);
  const shape = broadcastShapes(a.shape, b.shape, op);
  return a.graph.node(op, [a, b], [{ dtype: a.dtype, shape }], {}, ([g], need) => {
    if (!g) return [null, null];
    const aWins = cast(op === 'Min' ? lessOrEqual(a, b) : greaterOrEqual(a, b), a.dtype);
    return [need[0] ? unbroadcast(mul(g, aWins), a.shape) : null, need[1] ? unbroadcast(mul(g, sub(1, aWins)), b.shape) : null];
  })[0]!;
}

// ---------------------------------------------------------------- comparisons and selection (no gradient)

function compare(op: string, a: Tensor, b: Operand): Tensor {
  const bt = lift(b, a);
  checkSameType(op, a, bt);
  return a.graph.node(op, [a, bt], [{ dtype: 'bool', shape: broadcastShapes(a.shape, bt.shape, op) }], {}, 'none')[0]!;
}
export const greater = (a: Tensor, b: Operand): Tensor => compare('Greater', a, b);
export const less = (a: Tensor, b: Operand): Tensor => compare('Less', a, b);
export const equal = (a: Tensor, b: Operand): Tensor => compare('Equal', a, b);
export const greaterOrEqual = (a: Tensor, b: Operand): Tensor => compare('GreaterOrEqual', a, b);
export const lessOrEqual = (a: Tensor, b: Operand): Tensor => compare('LessOrEqual', a, b);

export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const t = (a instanceof Tensor ? a : b) as Tensor;
  if (!(t instanceof Tensor)) throw new GraphError('Where: one branch must be a tensor');
  const at = lift(a, t);
  const bt = lift(b, t);
  checkSameType('Where', at, bt);
  if (cond.dtype !== 'bool') throw new GraphError('Where: condition must be bool');
  const shape = broadcastShapes(broadcastShapes(cond.shape, at.shape, 'Where'), bt.shape, 'Where');
  return t.graph.node('Where', [cond, at, bt], [{ dtype: at.dtype, shape }], {}, ([g], need) => {
    if (!g) return [null, null, null];
    const zero = t.graph.scalar(0, g.dtype);
    return [
      null,
      need[1] ? unbroadcast(where(cond, g, zero), at.shape) : null,
      need[2] ? unbroadcast(where(cond, zero, g), bt.shape) : null,
    ];
  })[0]!;
}

export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  const differentiable = isFloat(x) && FLOATS.includes(to);
  return x.graph.node('Cast', [x], [{ dtype: to, shape: x.shape }], { to: { i: dtypeCode(to) } }, differentiable ? ([g]) => [g ? cast(g, x.dtype) : null] : 'none')[0]!;
}

function dtypeCode(d: DType): number {
  return ONNX_DTYPE[d];
}

/** The same value with no gradient flowing back through it. */
export function stopGradient(x: Tensor): Tensor {
  return x.graph.node('Identity', [x], [{ dtype: x.dtype, shape: x.shape }], {}, 'none')[0]!;
}

// ---------------------------------------------------------------- linear algebra

function transposeLast2(x: Tensor): Tensor {
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1]!, perm[x.rank - 2]!];
  return transpose(x, perm);
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  checkSameType('MatMul', a, b);
  if (a.rank < 2 || b.rank < 2) throw new GraphError('MatMul: operands must have rank >= 2');
  const k1 = a.shape[a.rank - 1]!;
  const k2 = b.shape[b.rank - 2]!;
  if (k1 !== k2 && k1 !== '?' && k2 !== '?') throw new GraphError(`MatMul: inner dims ${k1} and ${k2} differ ([${a.shape.join(', ')}] @ [${b.shape.join(', ')}])`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
  const shape = [...batch, a.shape[a.rank - 2]!, b.shape[b.rank - 1]!];
  return a.graph.node('MatMul', [a, b], [{ dtype: a.dtype, shape }], {}, ([g], need) => {
    if (!g) return [null, null];
    const ga = need[0] ? unbroadcast(matmul(g, transposeLast2(b)), a.shape) : null;
    let gb: Tensor | null = null;
    if (need[1]) {
      if (b.rank === 2 && a.rank > 2) {
        // Fold the batch dims into rows: one [k, rows] @ [rows, n] product instead of a batched one.
        const k = a.shape[a.rank - 1] as number;
        const n = b.shape[1] as number;
        gb = matmul(transpose(reshape(a, [-1, k]), [1, 0]), reshape(g, [-1, n]));
      } else {
        gb = unbroadcast(matmul(transposeLast2(a), g), b.shape);
      }
    }
    return [ga, gb];
  })[0]!;
}

/** Gemm: alpha * op(A) @ op(B) + beta * C, with op = optional transpose. */
export function gemm(a: Tensor, b: Tensor, c: Tensor | null, opts: { alpha?: number; beta?: number; transA?: boolean; transB?: boolean } = {}): Tensor {
  const { alpha = 1, beta = 1, transA = false, transB = false } = opts;
  checkSameType('Gemm', a, b, ...(c ? [c] : []));
  if (a.rank !== 2 || b.rank !== 2) throw new GraphError('Gemm: A and B must be matrices');
  const [m, k1] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [k2, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k1 !== k2 && k1 !== '?' && k2 !== '?') throw new GraphError(`Gemm: inner dims ${k1} and ${k2} differ`);
  if (c) broadcastShapes([m, n], c.shape, 'Gemm');
  const attrs = { alpha: { f: alpha }, beta: { f: beta }, transA: { i: transA ? 1 : 0 }, transB: { i: transB ? 1 : 0 } };
  return a.graph.node('Gemm', c ? [a, b, c] : [a, b], [{ dtype: a.dtype, shape: [m, n] }], attrs, ([g], need) => {
    if (!g) return [null, null, null];
    const opA = transA ? transpose(a, [1, 0]) : a;
    const opB = transB ? transpose(b, [1, 0]) : b;
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (need[0]) {
      const gOpA = mul(matmul(g, transpose(opB, [1, 0])), alpha);
      ga = transA ? transpose(gOpA, [1, 0]) : gOpA;
    }
    if (need[1]) {
      const gOpB = mul(matmul(transpose(opA, [1, 0]), g), alpha);
      gb = transB ? transpose(gOpB, [1, 0]) : gOpB;
    }
    const gc = c && need[2] ? unbroadcast(mul(g, beta), c.shape) : null;
    return [ga, gb, gc];
  })[0]!;
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) throw new GraphError(`Transpose: bad perm [${perm.join(', ')}] for rank ${x.rank}`);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return x.graph.node('Transpose', [x], [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }], { perm: { ints: perm } }, ([g]) => [
    g ? transpose(g, inverse) : null,
  ])[0]!;
}

// ---------------------------------------------------------------- shape ops

export function reshape(x: Tensor, target: readonly number[]): Tensor {
  const shape = reshapeShape(x.shape, target, 'Reshape');
  return x.graph.node('Reshape', [x, x.graph.ints(target)], [{ dtype: x.dtype, shape }], {}, ([g]) => [g ? reshapeLike(g, x) : null])[0]!;
}

/** Reshape to another tensor's (run-time) shape. */
export function reshapeLike(x: Tensor, like: Tensor): Tensor {
  return x.graph.node('Reshape', [x, shapeOf(like)], [{ dtype: x.dtype, shape: like.shape }], {}, ([g]) => [g ? reshapeLike(g, x) : null, null])[0]!;
}

export function unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.rank + axes.length;
  const norm = axes.map((a) => axisOf(a, rank, 'Unsqueeze')).sort((a, b) => a - b);
  const shape: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[j++]!);
  return x.graph.node('Unsqueeze', [x, x.graph.ints(norm)], [{ dtype: x.dtype, shape }], {}, ([g]) => [g ? squeeze(g, norm) : null])[0]!;
}

export function squeeze(x: Tensor, axes: readonly number[]): Tensor {
  const norm = axes.map((a) => axisOf(a, x.rank, 'Squeeze'));
  for (const a of norm) if (x.shape[a] !== 1 && x.shape[a] !== '?') throw new GraphError(`Squeeze: axis ${a} has size ${x.shape[a]}`);
  const shape = x.shape.filter((_, i) => !norm.includes(i));
  return x.graph.node('Squeeze', [x, x.graph.ints(norm)], [{ dtype: x.dtype, shape }], {}, ([g]) => [g ? unsqueeze(g, norm) : null])[0]!;
}

/** Broadcasts x to the run-time shape of `like`. */
export function expandLike(x: Tensor, like: Tensor): Tensor {
  const shape = broadcastShapes(x.shape, like.shape, 'Expand');
  return x.graph.node('Expand', [x, shapeOf(like)], [{ dtype: x.dtype, shape }], {}, ([g]) => [g ? unbroadcast(g, x.shape) : null, null])[0]!;
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  checkSameType('Concat', ...xs);
  const rank = xs[0]!.rank;
  const ax = axisOf(axis, rank, 'Concat');
  const sizes = xs.map((x) => x.shape[ax]!);
  if (sizes.some((s) => typeof s !== 'number')) throw new GraphError('Concat: the concatenated axis must have static sizes');
  const shape = [...xs[0]!.shape];
  shape[ax] = (sizes as number[]).reduce((a, b) => a + b, 0);
  for (const x of xs) {
    if (x.rank !== rank) throw new GraphError('Concat: ranks differ');
    x.shape.forEach((d, i) => {
      if (i !== ax && d !== shape[i] && d !== '?' && shape[i] !== '?') throw new GraphError(`Concat: dim ${i} differs (${d} vs ${shape[i]})`);
    });
  }
  return xs[0]!.graph.node('Concat', [...xs], [{ dtype: xs[0]!.dtype, shape }], { axis: { i: ax } }, ([g], need) => {
    if (!g) return xs.map(() => null);
    const parts = split(g, sizes as number[], ax);
    return parts.map((p, i) => (need[i] ? p : null));
  })[0]!;
}

export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const ax = axisOf(axis, x.rank, 'Split');
  const total = sizes.reduce((a, b) => a + b, 0);
  if (typeof x.shape[ax] === 'number' && x.shape[ax] !== total) throw new GraphError(`Split: sizes sum to ${total}, axis has ${x.shape[ax]}`);
  const outs = sizes.map((s) => {
    const shape = [...x.shape];
    shape[ax] = s;
    return { dtype: x.dtype, shape };
  });
  const ys: Tensor[] = x.graph.node('Split', [x, x.graph.ints(sizes)], outs, { axis: { i: ax } }, (gs) => {
    if (gs.every((g) => !g)) return [null, null];
    return [concat(gs.map((g, i) => g ?? zerosLike(ys[i]!)), ax), null];
  });
  return ys;
}

/** x[starts:ends] along axes (step 1); the gradient pads back with zeros. */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes: readonly number[]): Tensor {
  const shape = [...x.shape];
  const pads = new Array<number>(2 * x.rank).fill(0);
  axes.forEach((a, i) => {
    const ax = axisOf(a, x.rank, 'Slice');
    const dim = x.shape[ax];
    if (typeof dim !== 'number') throw new GraphError('Slice: sliced axes must have static sizes');
    const s = clampIndex(starts[i]!, dim);
    const e = clampIndex(ends[i]!, dim);
    shape[ax] = Math.max(0, e - s);
    pads[ax] = s;
    pads[ax + x.rank] = dim - Math.max(s, e);
  });
  return x.graph.node('Slice', [x, x.graph.ints(starts), x.graph.ints(ends), x.graph.ints(axes)], [{ dtype: x.dtype, shape }], {}, ([g]) => [
    g ? x.graph.node('Pad', [g, x.graph.ints(pads)], [{ dtype: g.dtype, shape: x.shape }], { mode: { s: 'constant' } })[0]! : null,
  ])[0]!;
}

function clampIndex(i: number, dim: number): number {
  const j = i < 0 ? i + dim : i;
  return Math.min(Math.max(j, 0), dim);
}

// ---------------------------------------------------------------- indexing

/** data[indices] along axis 0 (an embedding lookup); the gradient scatter-adds rows. */
export function gather(data: Tensor, indices: Tensor): Tensor {
  if (indices.dtype !== 'int64') throw new GraphError('Gather: indices must be int64');
  const shape = [...indices.shape, ...data.shape.slice(1)];
  return data.graph.node('Gather', [data, indices], [{ dtype: data.dtype, shape }], { axis: { i: 0 } }, ([g]) => {
    if (!g) return [null, null];
    // ScatterND with reduction "add" accumulates repeated indices, as the gradient needs.
    return [scatterNDAdd(zerosLike(data), unsqueeze(indices, [-1]), g), null];
  })[0]!;
}

/** Rows of data picked by indices [M, 1] (GatherND over the first axis). */
export function gatherRows(data: Tensor, indices: Tensor): Tensor {
  if (indices.dtype !== 'int64' || indices.rank !== 2 || indices.shape[1] !== 1) throw new GraphError('GatherND: indices must be int64 [M, 1]');
  const shape = [indices.shape[0]!, ...data.shape.slice(1)];
  return data.graph.node('GatherND', [data, indices], [{ dtype: data.dtype, shape }], {}, ([g]) => [g ? scatterNDAdd(zerosLike(data), indices, g) : null, null])[0]!;
}

/** data with updates added at rows indices [M, 1] (ScatterND, reduction "add"; repeats accumulate). */
export function scatterNDAdd(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
  checkSameType('ScatterND', data, updates);
  return data.graph.node('ScatterND', [data, indices, updates], [{ dtype: data.dtype, shape: data.shape }], { reduction: { s: 'add' } }, ([g], need) => {
    if (!g) return [null, null, null];
    return [need[0] ? g : null, null, need[2] ? gatherRows(g, indices) : null];
  })[0]!;
}

/** Indices [M, 1] of the true entries of a 1-D bool tensor (M known only at run time). */
export function nonZeroRows(cond: Tensor): Tensor {
  if (cond.dtype !== 'bool' || cond.rank !== 1) throw new GraphError('NonZero: expects a 1-D bool tensor');
  const nz = cond.graph.node('NonZero', [cond], [{ dtype: 'int64', shape: [1, '?'] }], {}, 'none')[0]!;
  return transpose(nz, [1, 0]);
}

/** 0, 1, ..., n-1 as int64, where n is x's (run-time) size along an axis. No gradient. */
export function rangeAlong(x: Tensor, axis: number): Tensor {
  const ax = axisOf(axis, x.rank, 'Range');
  const n = x.graph.node('Gather', [shapeOf(x), x.graph.scalar(ax, 'int64')], [{ dtype: 'int64', shape: [] }], { axis: { i: 0 } }, 'none')[0]!;
  return x.graph.node('Range', [x.graph.scalar(0, 'int64'), n, x.graph.scalar(1, 'int64')], [{ dtype: 'int64', shape: [x.shape[ax]!] }], {}, 'none')[0]!;
}

export function gatherElements(data: Tensor, indices: Tensor, axis: number): Tensor {
  const ax = axisOf(axis, data.rank, 'GatherElements');
  return data.graph.node('GatherElements', [data, indices], [{ dtype: data.dtype, shape: indices.shape }], { axis: { i: ax } }, ([g]) => {
    if (!g) return [null, null];
    return [scatterElements(zerosLike(data), indices, g, ax, 'add'), null];
  })[0]!;
}

export function scatterElements(data: Tensor, indices: Tensor, updates: Tensor, axis: number, reduction: 'none' | 'add' = 'none'): Tensor {
  checkSameType('ScatterElements', data, updates);
  const ax = axisOf(axis, data.rank, 'ScatterElements');
  return data.graph.node('ScatterElements', [data, indices, updates], [{ dtype: data.dtype, shape: data.shape }], { axis: { i: ax }, reduction: { s: reduction } }, ([g], need) => {
    if (!g) return [null, null, null];
    // Overwritten positions get no gradient from data (with "add" they pass through unchanged).
    const gd = need[0] ? (reduction === 'add' ? g : scatterElements(g, indices, zerosLike(updates), ax)) : null;
    const gu = need[2] ? gatherElements(g, indices, ax) : null;
    return [gd, null, gu];
  })[0]!;
}

/** A 0/1 mask (x's type) marking the k largest entries along the last axis; it has no gradient. */
export function topkMask(x: Tensor, k: number): Tensor {
  const last = x.shape[x.rank - 1];
  if (typeof last === 'number' && k > last) throw new GraphError(`TopK: k=${k} exceeds ${last}`);
  const outShape = [...x.shape.slice(0, -1), k];
  const [, indices] = x.graph.node('TopK', [stopGradient(x), x.graph.ints([k])], [{ dtype: x.dtype, shape: outShape }, { dtype: 'int64', shape: outShape }], {
    axis: { i: -1 },
    largest: { i: 1 },
    sorted: { i: 0 },
  }, 'none');
  const ones = filled(x, shapeOf(indices!), outShape, 1);
  return x.graph.node('ScatterElements', [zerosLike(x), indices!, ones], [{ dtype: x.dtype, shape: x.shape }], { axis: { i: -1 } }, 'none')[0]!;
}

// ---------------------------------------------------------------- reductions

function reducedShape(x: Tensor, axes: readonly number[], keepdims: boolean, op: string): { axes: number[]; shape: Dim[] } {
  const norm = axes.map((a) => axisOf(a, x.rank, op));
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!norm.includes(i)) shape.push(d);
    else if (keepdims) shape.push(1);
  });
  return { axes: norm, shape };
}

/** Brings a reduced gradient back to x's shape. */
function expandReduced(g: Tensor, x: Tensor, axes: number[], keepdims: boolean): Tensor {
  return expandLike(keepdims ? g : unsqueeze(g, axes), x);
}

export function reduceSum(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  const r = reducedShape(x, axes, keepdims, 'ReduceSum');
  return x.graph.node('ReduceSum', [x, x.graph.ints(r.axes)], [{ dtype: x.dtype, shape: r.shape }], { keepdims: { i: keepdims ? 1 : 0 } }, ([g]) => [
    g ? expandReduced(g, x, r.axes, keepdims) : null,
  ])[0]!;
}

/** The number of elements along axes, as a scalar of x's type (works for symbolic dims). */
export function countAlong(x: Tensor, axes: readonly number[]): Tensor {
  const dims = axes.map((a) => x.shape[axisOf(a, x.rank, 'count')]!);
  if (dims.every((d) => typeof d === 'number')) return x.graph.scalar((dims as number[]).reduce((a, b) => a * b, 1), x.dtype);
  const picked = x.graph.node('Gather', [shapeOf(x), x.graph.ints(axes.map((a) => axisOf(a, x.rank, 'count')))], [{ dtype: 'int64', shape: [axes.length] }], { axis: { i: 0 } }, 'none')[0]!;
  const n = x.graph.node('ReduceProd', [picked, x.graph.ints([0])], [{ dtype: 'int64', shape: [] }], { keepdims: { i: 0 } }, 'none')[0]!;
  return cast(n, x.dtype);
}

export function reduceMean(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  const r = reducedShape(x, axes, keepdims, 'ReduceMean');
  return x.graph.node('ReduceMean', [x, x.graph.ints(r.axes)], [{ dtype: x.dtype, shape: r.shape }], { keepdims: { i: keepdims ? 1 : 0 } }, ([g]) => [
    g ? div(expandReduced(g, x, r.axes, keepdims), countAlong(x, r.axes)) : null,
  ])[0]!;
}

/** Max along axes; the gradient is shared evenly between tied maxima. */
export function reduceMax(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  const r = reducedShape(x, axes, keepdims, 'ReduceMax');
  const y: Tensor = x.graph.node('ReduceMax', [x, x.graph.ints(r.axes)], [{ dtype: x.dtype, shape: r.shape }], { keepdims: { i: keepdims ? 1 : 0 } }, ([g]) => {
    if (!g) return [null, null];
    const yk = keepdims ? y : unsqueeze(y, r.axes);
    const mask = cast(equal(x, yk), x.dtype);
    const share = div(mask, reduceSum(mask, r.axes, true));
    return [mul(expandReduced(g, x, r.axes, keepdims), share), null];
  })[0]!;
  return y;
}

// ---------------------------------------------------------------- normalisation and activations

export function softmax(x: Tensor, axis = -1): Tensor {
  const ax = axisOf(axis, x.rank, 'Softmax');
  const y: Tensor = x.graph.node('Softmax', [x], [{ dtype: x.dtype, shape: x.shape }], { axis: { i: ax } }, ([g]) => {
    if (!g) return [null];
    // dx = y * (g - sum(g * y))
    return [mul(y, sub(g, reduceSum(mul(g, y), [ax], true)))];
  })[0]!;
  return y;
}

/**
 * LayerNormalization (opset 17) over the last axis with learnable scale and bias. The forward pass
 * is the fused ONNX op; the gradient recomputes the normalised input from primitives.
 */
export function layerNorm(x: Tensor, scale: Tensor, bias: Tensor, epsilon = 1e-5): Tensor {
  checkSameType('LayerNormalization', x, scale, bias);
  const d = x.shape[x.rank - 1];
  if (scale.rank !== 1 || scale.shape[0] !== d || bias.rank !== 1 || bias.shape[0] !== d) throw new GraphError(`LayerNormalization: scale and bias must be [${d}]`);
  return x.graph.node('LayerNormalization', [x, scale, bias], [{ dtype: x.dtype, shape: x.shape }], { axis: { i: -1 }, epsilon: { f: epsilon } }, ([g], need) => {
    if (!g) return [null, null, null];
    const ax = x.rank - 1;
    const mean = stopGradient(reduceMean(x, [ax], true));
    const centered = sub(x, mean);
    const invStd = div(1, sqrt(add(reduceMean(mul(centered, centered), [ax], true), epsilon)));
    const xhat = mul(centered, invStd);
    const batchAxes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const gs = need[1] ? reduceSum(mul(g, xhat), batchAxes) : null;
    const gb = need[2] ? reduceSum(g, batchAxes) : null;
    let gx: Tensor | null = null;
    if (need[0]) {
      const gy = mul(g, scale);
      // dx = invStd * (gy - mean(gy) - xhat * mean(gy * xhat))
      gx = mul(invStd, sub(sub(gy, reduceMean(gy, [ax], true)), mul(xhat, reduceMean(mul(gy, xhat), [ax], true))));
    }
    return [gx, gs, gb];
  })[0]!;
}
