import { GraphError, type Dim, type Shape } from './graph.ts';

/** Numpy broadcasting of two shapes; mismatched known sizes are an error caught at build time. */
export function broadcastShapes(a: Shape, b: Shape, op: string): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === y) out.push(x);
    else if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === '?') out.push(y);
    else if (y === '?') out.push(x);
    else throw new GraphError(`${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
  }
  return out;
}

/** Normalises a possibly negative axis against a rank. */
export function axisOf(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphError(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

export function numel(shape: Shape): number | null {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The product of some dims as a Dim: a number when all are known, else a symbolic expression. */
export function productDim(dims: readonly Dim[]): Dim {
  let n = 1;
  const syms: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else if (d === '?') return '?';
    else syms.push(d);
  }
  if (syms.length === 0) return n;
  return n === 1 ? syms.join('*') : `${syms.join('*')}*${n}`;
}

/** Output shape of Reshape with ONNX semantics (0 copies a dim, -1 is inferred). */
export function reshapeShape(input: Shape, target: readonly number[], op: string): Dim[] {
  const out: Dim[] = target.map((d, i) => (d === 0 ? (input[i] ?? '?') : d));
  const inferred = out.indexOf(-1);
  if (out.filter((d) => d === -1).length > 1) throw new GraphError(`${op}: more than one -1 in [${target.join(', ')}]`);
  const total = numel(input);
  const known = out.filter((d) => d !== -1);
  if (inferred === -1) {
    const n = numel(out);
    if (total !== null && n !== null && total !== n) throw new GraphError(`${op}: cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`);
    return out;
  }
  const knownProduct = numel(known);
  if (total !== null && knownProduct !== null) {
    if (total % knownProduct !== 0) throw new GraphError(`${op}: cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`);
    out[inferred] = total / knownProduct;
    return out;
  }
  // Symbolic: the inferred dim is the product of the input's dims divided by the known target dims.
  const numbers = input.filter((d): d is number => typeof d === 'number').reduce((a, b) => a * b, 1);
  const syms = input.filter((d) => typeof d !== 'number');
  const knownNumbers = known.filter((d): d is number => typeof d === 'number').reduce((a, b) => a * b, 1);
  const knownSyms = known.filter((d) => typeof d !== 'number');
  const rest = syms.filter((s) => !knownSyms.includes(s));
  if (knownSyms.every((s) => syms.includes(s)) && numbers % knownNumbers === 0 && !syms.includes('?')) {
    out[inferred] = productDim([...rest, numbers / knownNumbers]);
  } else {
    out[inferred] = '?';
  }
  return out;
}
