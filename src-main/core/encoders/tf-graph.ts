// Converts a TF.js graph model (a frozen TensorFlow graph, as npm packages such as @spotify/basic-pitch
// ship it) into nodes of one of our ONNX graphs. TensorFlow is channels-last and keeps shapes and
// indices as int32; here convolutions run channels-first between two transposes (ONNX Conv's layout)
// and every integer tensor is int64 (what ONNX's shape operators take). Only the operators such
// audio, image and small text networks use are supported (the last include the sparse-to-dense and
// scatter/gather steps of Google's Universal Sentence Encoder); anything else is refused by name.
import { Graph, type DType, type Tensor } from '../onnx/graph.ts';
import { ONNX_DTYPE } from '../onnx/proto.ts';
import { EncoderError } from './errors.ts';

type TfAttrValue = { i?: string; f?: number; b?: boolean; s?: string; list?: { i?: string[]; s?: string[] }; type?: string; tensor?: unknown; shape?: unknown };

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttrValue>;
}

export type TfWeights = ReadonlyMap<string, { shape: number[]; values: Float32Array }>;

/** ONNX Slice bounds standing for "to the end" either way. */
const TO_END = 2 ** 62;

/**
 * Adds the nodes that compute `wanted` (TF node names) from `feeds` (TF placeholder name -> tensor
 * of our graph) and returns their ONNX tensors, in order. Constants come from `weights`.
 */
export function convertTfGraph(g: Graph, nodes: readonly TfNode[], weights: TfWeights, feeds: Record<string, Tensor>, wanted: readonly string[]): Tensor[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Map<string, Tensor[]>();
  const out = (dtype: DType): { dtype: DType; shape: string[] }[] => [{ dtype, shape: ['?'] }];
  const op = (type: string, inputs: (Tensor | null)[], dtype: DType, attrs: Parameters<Graph['node']>[3] = {}): Tensor => g.node(type, inputs, out(dtype), attrs)[0]!;

  const constant = (name: string): { shape: number[]; values: Float32Array } => {
    const w = weights.get(sourceOf(name).name);
    if (!w) throw new EncoderError(`${name} must be a constant of the model`);
    return w;
  };
  const ints = (name: string): number[] => [...constant(name).values];

  const build = (ref: string): Tensor => {
    const { name, index } = sourceOf(ref);
    const outputs = done.get(name) ?? buildNode(name);
    const y = outputs[index];
    if (!y) throw new EncoderError(`node ${name} has no output ${index}`);
    return y;
  };

  const buildNode = (name: string): Tensor[] => {
    const node = byName.get(name);
    if (!node) throw new EncoderError(`the model has no node "${name}"`);
    const inputs = (node.input ?? []).filter((i) => !i.startsWith('^'));
    const x = (): Tensor => build(inputs[0]!);
    const second = (): Tensor => build(inputs[1]!);
    let y: Tensor | Tensor[];
    switch (node.op) {
      case 'Placeholder': {
        const feed = feeds[name];
        if (!feed) throw new EncoderError(`the model's input "${name}" was not given`);
        y = feed;
        break;
      }
      case 'Const': {
        const w = constant(name);
        const type = dtypeOf(node, 'dtype');
        if (type === 'bool') throw new EncoderError(`${name}: boolean constants are not supported`);
        y = type === 'int64' ? g.constant('int64', w.shape, [...w.values].map((v) => BigInt(v))) : g.constant('float32', w.shape, w.values);
        break;
      }
      case 'Identity':
        y = x();
        break;
      case 'Shape':
        y = op('Shape', [x()], 'int64');
        break;
      case 'Reshape':
        y = op('Reshape', [x(), build(inputs[1]!)], x().dtype);
        break;
      case 'Transpose':
        y = op('Transpose', [x()], x().dtype, { perm: { ints: ints(inputs[1]!) } });
        break;
      case 'ExpandDims':
        y = op('Unsqueeze', [x(), g.ints(ints(inputs[1]!))], x().dtype);
        break;
      case 'Squeeze':
        y = op('Squeeze', [x(), g.ints(listInts(node, 'squeeze_dims'))], x().dtype);
        break;
      case 'Pack': {
        const axis = intAttr(node, 'axis');
        const parts = inputs.map((i) => op('Unsqueeze', [build(i), g.ints([axis])], build(i).dtype));
        y = op('Concat', parts, parts[0]!.dtype, { axis: { i: axis } });
        break;
      }
      case 'ConcatV2': {
        const parts = inputs.slice(0, -1).map(build);
        y = op('Concat', parts, parts[0]!.dtype, { axis: { i: ints(inputs[inputs.length - 1]!)[0]! } });
        break;
      }
      case 'Pad':
      case 'MirrorPad': {
        const pairs = ints(inputs[1]!);
        const pads = [...pairs.filter((_, i) => i % 2 === 0), ...pairs.filter((_, i) => i % 2 === 1)];
        const mode = node.op === 'Pad' ? 'constant' : stringAttr(node, 'mode');
        if (mode !== 'constant' && mode !== 'REFLECT') throw new EncoderError(`${name}: MirrorPad mode ${mode} is not supported`);
        y = op('Pad', [x(), g.ints(pads)], x().dtype, { mode: { s: mode === 'REFLECT' ? 'reflect' : 'constant' } });
        break;
      }
      case 'StridedSlice':
        y = stridedSlice(x(), ints(inputs[1]!), ints(inputs[2]!), ints(inputs[3]!), node);
        break;
      case 'Conv2D':
      case '_FusedConv2D':
        y = conv2d(node, inputs);
        break;
      case 'Neg':
      case 'Sigmoid':
      case 'Sqrt':
      case 'Log':
      case 'Relu':
        y = op(node.op, [x()], x().dtype);
        break;
      case 'Square':
        y = op('Mul', [x(), x()], x().dtype);
        break;
      case 'Add':
      case 'AddV2':
      case 'Sub':
      case 'Mul':
        y = op({ Add: 'Add', AddV2: 'Add', Sub: 'Sub', Mul: 'Mul' }[node.op]!, [x(), build(inputs[1]!)], x().dtype);
        break;
      case 'DivNoNan': {
        // x / y, and 0 where y is 0 (TensorFlow's DivNoNan).
        const den = build(inputs[1]!);
        const zero = op('Equal', [den, g.scalar(0, 'float32')], 'bool');
        const safe = op('Where', [zero, g.scalar(1, 'float32'), den], 'float32');
        y = op('Where', [zero, g.scalar(0, 'float32'), op('Div', [x(), safe], 'float32')], 'float32');
        break;
      }
      case 'Sum':
      case 'Min':
      case 'Max':
        y = op({ Sum: 'ReduceSum', Min: 'ReduceMin', Max: 'ReduceMax' }[node.op]!, [x(), g.ints(ints(inputs[1]!))], x().dtype, { keepdims: { i: attrOf(node, 'keep_dims')?.b ? 1 : 0 } });
        break;
      case 'Cast': {
        const to = dtypeOf(node, 'DstT');
        y = op('Cast', [x()], to, { to: { i: ONNX_DTYPE[to] } });
        break;
      }
      case 'Sin':
      case 'Cos':
      case 'Tanh':
        y = op(node.op, [x()], x().dtype);
        break;
      case 'Rsqrt':
        y = op('Reciprocal', [op('Sqrt', [x()], x().dtype)], x().dtype);
        break;
      case 'LogicalNot':
        y = op('Not', [x()], 'bool');
        break;
      case 'Less':
      case 'Greater':
        y = op(node.op, [x(), second()], 'bool');
        break;
      case 'Maximum':
        y = op('Max', [x(), second()], x().dtype);
        break;
      case 'RealDiv':
        y = op('Div', [x(), second()], x().dtype);
        break;
      case 'BiasAdd':
        if ((stringAttr(node, 'data_format') || 'NHWC') !== 'NHWC') throw new EncoderError(`${name}: only NHWC BiasAdd is supported`);
        y = op('Add', [x(), second()], x().dtype);
        break;
      case 'MatMul': {
        const t = (v: Tensor, flag: string): Tensor => (attrOf(node, flag)?.b ? op('Transpose', [v], v.dtype, { perm: { ints: [1, 0] } }) : v);
        y = op('MatMul', [t(x(), 'transpose_a'), t(second(), 'transpose_b')], x().dtype);
        break;
      }
      case 'BatchMatMul':
      case 'BatchMatMulV2': {
        // The adjoint of a real matrix is its transpose over the last two axes, whatever the rank: Einsum says so without knowing it.
        const [a, b] = [attrOf(node, 'adj_x')?.b ? 'ji' : 'ij', attrOf(node, 'adj_y')?.b ? 'kj' : 'jk'];
        y = op('Einsum', [x(), second()], x().dtype, { equation: { s: `...${a},...${b}->...ik` } });
        break;
      }
      case 'Softmax':
        y = op('Softmax', [x()], x().dtype, { axis: { i: -1 } });
        break;
      case 'Mean':
      case 'Prod':
        y = op(node.op === 'Mean' ? 'ReduceMean' : 'ReduceProd', [x(), g.ints(ints(inputs[1]!))], x().dtype, { keepdims: { i: attrOf(node, 'keep_dims')?.b ? 1 : 0 } });
        break;
      case 'GatherV2': {
        const axis = ints(inputs[2]!)[0]!;
        if (intAttr(node, 'batch_dims') !== 0) throw new EncoderError(`${name}: GatherV2 with batch_dims is not supported`);
        y = op('Gather', [x(), second()], x().dtype, { axis: { i: axis } });
        break;
      }
      case 'GatherNd':
        y = op('GatherND', [x(), second()], x().dtype);
        break;
      case 'ScatterNd': {
        // Into zeros of the given shape; TF adds repeated indices, ONNX would not, but these models never repeat one.
        const updates = second();
        const zero = updates.dtype === 'int64' ? new BigInt64Array(1) : new Float32Array(1);
        const zeros = op('ConstantOfShape', [build(inputs[2]!)], updates.dtype, { value: { t: { dtype: updates.dtype, dims: [1], data: zero } } });
        y = op('ScatterND', [zeros, x(), updates], updates.dtype);
        break;
      }
      case 'SparseToDense': {
        const values = build(inputs[2]!);
        const filled = op('Expand', [op('Cast', [build(inputs[3]!)], values.dtype, { to: { i: ONNX_DTYPE[values.dtype] } }), build(inputs[1]!)], values.dtype);
        // Indices as an [N, rank] matrix (TF also takes a vector or a scalar; the models we read do not).
        y = op('ScatterND', [filled, x(), values], values.dtype);
        break;
      }
      case 'Where': {
        if (inputs.length !== 1) throw new EncoderError(`${name}: only the one-input Where (coordinates of true elements) is supported`);
        y = op('Transpose', [op('NonZero', [x()], 'int64')], 'int64', { perm: { ints: [1, 0] } });
        break;
      }
      case 'Range':
        y = op('Range', inputs.map(build), x().dtype);
        break;
      case 'Slice': {
        const begin = ints(inputs[1]!);
        const size = ints(inputs[2]!);
        y = op('Slice', [x(), g.ints(begin), g.ints(size.map((n, i) => (n === -1 ? TO_END : begin[i]! + n)))], x().dtype);
        break;
      }
      case 'SplitV': {
        const sizes = ints(inputs[1]!);
        const axis = ints(inputs[2]!)[0]!;
        if (sizes.some((n) => n < 0)) throw new EncoderError(`${name}: SplitV with an inferred size is not supported`);
        y = g.node('Split', [x(), g.ints(sizes)], sizes.map(() => ({ dtype: x().dtype, shape: ['?'] })), { axis: { i: axis } });
        break;
      }
      default:
        throw new EncoderError(`node ${name}: TensorFlow operator ${node.op} is not supported`);
    }
    const outputs = Array.isArray(y) ? y : [y];
    done.set(name, outputs);
    return outputs;
  };

  /** TensorFlow's StridedSlice (no ellipsis): one Slice, then the new axes added and the shrunk ones removed. */
  function stridedSlice(input: Tensor, begin: number[], end: number[], strides: number[], node: TfNode): Tensor {
    const [beginMask, endMask, newAxisMask, shrinkMask] = ['begin_mask', 'end_mask', 'new_axis_mask', 'shrink_axis_mask'].map((a) => intAttr(node, a));
    if (intAttr(node, 'ellipsis_mask') !== 0) throw new EncoderError(`${node.name}: StridedSlice with an ellipsis is not supported`);
    const bit = (mask: number, j: number): boolean => ((mask! >> j) & 1) === 1;
    const axes: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const steps: number[] = [];
    let axis = 0;
    for (let j = 0; j < begin.length; j++) {
      if (bit(newAxisMask!, j)) continue;
      const step = strides[j]!;
      axes.push(axis++);
      steps.push(bit(shrinkMask!, j) ? 1 : step);
      if (bit(shrinkMask!, j)) {
        starts.push(begin[j]!);
        ends.push(begin[j]! === -1 ? TO_END : begin[j]! + 1);
      } else {
        starts.push(bit(beginMask!, j) ? (step > 0 ? 0 : TO_END) : begin[j]!);
        ends.push(bit(endMask!, j) ? (step > 0 ? TO_END : -TO_END) : end[j]!);
      }
    }
    let y = op('Slice', [input, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)], input.dtype);
    // Spec entry j is dimension j once the new axes are in, so both masks index that layout.
    const added = begin.map((_, j) => j).filter((j) => bit(newAxisMask!, j));
    if (added.length > 0) y = op('Unsqueeze', [y, g.ints(added)], y.dtype);
    const shrunk = begin.map((_, j) => j).filter((j) => bit(shrinkMask!, j));
    if (shrunk.length > 0) y = op('Squeeze', [y, g.ints(shrunk)], y.dtype);
    return y;
  }

  /** NHWC Conv2D (optionally fused with BiasAdd and Relu) as NCHW Conv between transposes. */
  function conv2d(node: TfNode, inputs: string[]): Tensor {
    if (stringAttr(node, 'data_format') !== 'NHWC') throw new EncoderError(`${node.name}: only NHWC convolutions are supported`);
    const fused = node.op === '_FusedConv2D' ? (attrOf(node, 'fused_ops')?.list?.s ?? []).map(decode) : [];
    if (fused.some((f) => f !== 'BiasAdd' && f !== 'Relu') || (fused.length > 0 && fused[0] !== 'BiasAdd')) throw new EncoderError(`${node.name}: fused operations ${fused.join(', ')} are not supported`);
    const w = constant(inputs[1]!);
    const [kh, kw, cin, cout] = w.shape as [number, number, number, number];
    const kernel = new Float32Array(w.values.length);
    for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) kernel[((o * cin + i) * kh + a) * kw + b] = w.values[((a * kw + b) * cin + i) * cout + o]!;
    const args: (Tensor | null)[] = [op('Transpose', [build(inputs[0]!)], 'float32', { perm: { ints: [0, 3, 1, 2] } }), g.constant('float32', [cout, cin, kh, kw], kernel)];
    if (fused[0] === 'BiasAdd') args.push(g.constant('float32', [cout], constant(inputs[2]!).values));
    const strides = listInts(node, 'strides');
    const dilations = listInts(node, 'dilations');
    const padding = stringAttr(node, 'padding');
    if (padding !== 'SAME' && padding !== 'VALID') throw new EncoderError(`${node.name}: padding ${padding} is not supported`);
    let y = op('Conv', args, 'float32', {
      kernel_shape: { ints: [kh, kw] },
      strides: { ints: strides.slice(1, 3) },
      dilations: { ints: dilations.length ? dilations.slice(1, 3) : [1, 1] },
      // TF's SAME puts the odd extra row or column at the end, as ONNX SAME_UPPER does.
      auto_pad: { s: padding === 'SAME' ? 'SAME_UPPER' : 'VALID' },
    });
    if (fused.includes('Relu')) y = op('Relu', [y], 'float32');
    return op('Transpose', [y], 'float32', { perm: { ints: [0, 2, 3, 1] } });
  }

  return wanted.map(build);
}

/** "node:0" and "node" name the same (first) output; "node:2" the third. */
function sourceOf(ref: string): { name: string; index: number } {
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? { name: m[1]!, index: Number(m[2]) } : { name: ref, index: 0 };
}

/** TensorFlow's DataType enum (as number or name) -> ours; every integer type becomes int64. */
function dtypeOf(node: TfNode, key: string): DType {
  const t = String(attrOf(node, key)?.type ?? 'DT_FLOAT');
  if (t === '1' || t === 'DT_FLOAT') return 'float32';
  if (['3', '9', 'DT_INT32', 'DT_INT64'].includes(t)) return 'int64';
  if (t === '10' || t === 'DT_BOOL') return 'bool';
  throw new EncoderError(`${node.name}: TensorFlow type ${t} is not supported`);
}

function attrOf(node: TfNode, key: string): TfAttrValue | undefined {
  return node.attr?.[key];
}

function intAttr(node: TfNode, key: string): number {
  return Number(attrOf(node, key)?.i ?? 0);
}

function listInts(node: TfNode, key: string): number[] {
  return (attrOf(node, key)?.list?.i ?? []).map(Number);
}

function stringAttr(node: TfNode, key: string): string {
  const s = attrOf(node, key)?.s;
  return s === undefined ? '' : decode(s);
}

/** TF.js model.json stores string attributes base64-encoded. */
function decode(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}
