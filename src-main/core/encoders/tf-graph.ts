// Converts a TF.js graph model (a frozen TensorFlow graph, as npm packages such as @spotify/basic-pitch
// ship it) into nodes of one of our ONNX graphs. TensorFlow is channels-last and keeps shapes and
// indices as int32; here convolutions run channels-first between two transposes (ONNX Conv's layout)
// and every integer tensor is int64 (what ONNX's shape operators take). Only the operators such
// audio and image networks use are supported; anything else is refused by name.
import { Graph, type DType, type Tensor } from '../onnx/graph.ts';
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
  const done = new Map<string, Tensor>();
  const out = (dtype: DType): { dtype: DType; shape: string[] }[] => [{ dtype, shape: ['?'] }];
  const op = (type: string, inputs: (Tensor | null)[], dtype: DType, attrs: Parameters<Graph['node']>[3] = {}): Tensor => g.node(type, inputs, out(dtype), attrs)[0]!;

  const constant = (name: string): { shape: number[]; values: Float32Array } => {
    const w = weights.get(sourceOf(name));
    if (!w) throw new EncoderError(`${name} must be a constant of the model`);
    return w;
  };
  const ints = (name: string): number[] => [...constant(name).values];

  const build = (ref: string): Tensor => {
    const name = sourceOf(ref);
    const cached = done.get(name);
    if (cached) return cached;
    const node = byName.get(name);
    if (!node) throw new EncoderError(`the model has no node "${name}"`);
    const inputs = (node.input ?? []).filter((i) => !i.startsWith('^'));
    const x = (): Tensor => build(inputs[0]!);
    let y: Tensor;
    switch (node.op) {
      case 'Placeholder': {
        const feed = feeds[name];
        if (!feed) throw new EncoderError(`the model's input "${name}" was not given`);
        y = feed;
        break;
      }
      case 'Const': {
        const w = constant(name);
        const type = attrOf(node, 'dtype')?.type;
        y = type === 'DT_INT32' ? g.constant('int64', w.shape, [...w.values].map((v) => BigInt(v))) : g.constant('float32', w.shape, w.values);
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
      default:
        throw new EncoderError(`node ${name}: TensorFlow operator ${node.op} is not supported`);
    }
    done.set(name, y);
    return y;
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

/** "node:0" and "node" name the same (first) output; later outputs are not used by the models we read. */
function sourceOf(ref: string): string {
  const m = /^(.*):(\d+)$/.exec(ref);
  if (m && m[2] !== '0') throw new EncoderError(`input ${ref}: only a node's first output is supported`);
  return m ? m[1]! : ref;
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
