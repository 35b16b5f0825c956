// A small typed builder for ONNX graphs (opset 18) with static shape checks and reverse-mode
// differentiation. Ops live in ops.ts; each records how to differentiate itself (its VJP).
import { ATTR_TYPE, ModelProto, ONNX_DTYPE } from './proto.ts';

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8';
export type FloatType = 'float32' | 'float64';
/** A dimension: a number, a symbol such as 'N' (same symbol = same size), or '?' (unknown). */
export type Dim = number | string;
export type Shape = readonly Dim[];

export const OPSET = 18;
const IR_VERSION = 8;

export class GraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphError';
  }
}

/** A value in a graph: a graph input, a parameter, a constant or a node output. */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}[${this.shape.join(', ')}]`;
  }
}

export type Attr =
  | { i: number }
  | { f: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { s: string }
  | { t: { dtype: DType; dims: readonly number[]; data: ArrayBufferView } };

/** Vector-Jacobian product: output gradients (null = zero) -> input gradients (null = none). */
export type Vjp = (gradOutputs: (Tensor | null)[], needed: boolean[]) => (Tensor | null)[];

export interface Node {
  op: string;
  name: string;
  inputs: (Tensor | null)[];
  outputs: Tensor[];
  attrs: Record<string, Attr>;
  /** How to differentiate; 'none' marks a non-differentiable op (gradients stop there). */
  vjp?: Vjp | 'none';
}

export type ParamValues = ReadonlyMap<string, Float32Array | Float64Array>;

interface ConstantEntry {
  tensor: Tensor;
  dims: number[];
  data: ArrayBufferView;
}

export interface ModelOptions {
  /** 'inputs': parameters are fed on every run (training); 'initializers': baked in (inference). */
  paramsAs: 'inputs' | 'initializers';
  /** Parameter values, required with paramsAs 'initializers'. */
  values?: ParamValues;
  docString?: string;
  metadata?: Record<string, string>;
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly params: Tensor[] = [];
  readonly outputs: { tensor: Tensor; name: string }[] = [];
  private readonly constants: ConstantEntry[] = [];
  private readonly constantCache = new Map<string, Tensor>();
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(
    readonly name: string,
    readonly floatType: FloatType = 'float32',
  ) {}

  /** A fresh unique name with a readable prefix. */
  uniqueName(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new GraphError(`duplicate name "${name}" in graph ${this.name}`);
    this.names.add(name);
  }

  input(name: string, dtype: DType, shape: Shape): Tensor {
    this.claim(name);
    const t = new Tensor(this, name, dtype, shape);
    this.inputs.push(t);
    return t;
  }

  /** A trainable parameter of the graph's float type with a fixed shape. */
  param(name: string, shape: readonly number[]): Tensor {
    this.claim(name);
    const t = new Tensor(this, name, this.floatType, shape);
    this.params.push(t);
    return t;
  }

  /** A constant tensor stored in the model. */
  constant(dtype: DType, dims: readonly number[], data: ArrayLike<number> | ArrayLike<bigint>): Tensor {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new GraphError(`constant of shape [${dims.join(', ')}] needs ${size} values, got ${data.length}`);
    const typed = toTyped(dtype, data);
    const t = new Tensor(this, this.uniqueName('const'), dtype, dims);
    this.constants.push({ tensor: t, dims: [...dims], data: typed });
    return t;
  }

  /** A scalar of the graph's float type (or the given type), shared between uses. */
  scalar(value: number, dtype: DType = this.floatType): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = this.constantCache.get(key);
    if (!t) this.constantCache.set(key, (t = this.constant(dtype, [], [dtype === 'int64' ? BigInt(value) : value] as number[] | bigint[])));
    return t;
  }

  /** A 1-D int64 constant (axes, shapes, sizes), shared between uses. */
  ints(values: readonly number[]): Tensor {
    const key = `ints:${values.join(',')}`;
    let t = this.constantCache.get(key);
    if (!t) this.constantCache.set(key, (t = this.constant('int64', [values.length], values.map((v) => BigInt(v)))));
    return t;
  }

  /** Appends a node and returns its outputs. */
  node(op: string, inputs: (Tensor | null)[], outs: { dtype: DType; shape: Shape }[], attrs: Record<string, Attr> = {}, vjp?: Vjp | 'none'): Tensor[] {
    for (const t of inputs) {
      if (t && t.graph !== this) throw new GraphError(`${op}: input ${t.name} belongs to another graph`);
    }
    const name = this.uniqueName(op);
    const outputs = outs.map((o, i) => new Tensor(this, outs.length === 1 ? `${name}_out` : `${name}_out${i}`, o.dtype, o.shape));
    for (const o of outputs) this.names.add(o.name);
    this.nodes.push({ op, name, inputs, outputs, attrs, vjp });
    return outputs;
  }

  output(tensor: Tensor, name: string): void {
    if (tensor.graph !== this) throw new GraphError(`output ${name} belongs to another graph`);
    if (this.outputs.some((o) => o.name === name)) throw new GraphError(`duplicate output "${name}"`);
    this.outputs.push({ tensor, name });
  }

  /**
   * Serialises to an ONNX ModelProto. Only what the outputs need is written: unused nodes,
   * constants, parameters and inputs are left out. Outputs are renamed through Identity nodes.
   */
  toModel(options: ModelOptions): Uint8Array {
    const used = new Set<string>(this.outputs.map((o) => o.tensor.name));
    const keptNodes: Node[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i]!;
      if (!n.outputs.some((o) => used.has(o.name))) continue;
      keptNodes.push(n);
      for (const t of n.inputs) if (t) used.add(t.name);
    }
    keptNodes.reverse();
    const valueInfo = (name: string, dtype: DType, shape: Shape): object => ({
      name,
      type: {
        tensorType: {
          elemType: ONNX_DTYPE[dtype],
          shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d === '?' ? undefined : d })) },
        },
      },
    });
    const initializers: object[] = this.constants.filter((c) => used.has(c.tensor.name)).map((c) => tensorProto(c.tensor.name, c.tensor.dtype, c.dims, c.data));
    const graphInputs = this.inputs.filter((t) => used.has(t.name)).map((t) => valueInfo(t.name, t.dtype, t.shape));
    for (const p of this.params.filter((t) => used.has(t.name))) {
      if (options.paramsAs === 'inputs') {
        graphInputs.push(valueInfo(p.name, p.dtype, p.shape));
      } else {
        const v = options.values?.get(p.name);
        if (!v) throw new GraphError(`no value for parameter ${p.name}`);
        const dims = p.shape as number[];
        if (v.length !== dims.reduce((a, b) => a * b, 1)) throw new GraphError(`parameter ${p.name} has ${v.length} values, shape [${dims.join(', ')}]`);
        initializers.push(tensorProto(p.name, p.dtype, dims, toTyped(p.dtype, v)));
      }
    }
    // Name each output's producing node output after the output itself, so no Identity copy is
    // needed (it would copy every updated parameter on every training step). Identity remains for
    // outputs that are graph inputs, constants, or exported twice.
    const rename = new Map<string, string>();
    const produced = new Set(keptNodes.flatMap((n) => n.outputs.map((o) => o.name)));
    const identities: { name: string; opType: string; input: string[]; output: string[]; attribute: object[] }[] = [];
    for (const o of this.outputs) {
      if (produced.has(o.tensor.name) && !rename.has(o.tensor.name)) rename.set(o.tensor.name, o.name);
      else identities.push({ name: `out_${o.name}`, opType: 'Identity', input: [o.tensor.name], output: [o.name], attribute: [] });
    }
    const nameOf = (t: Tensor | null): string => (t ? (rename.get(t.name) ?? t.name) : '');
    for (const id of identities) id.input = id.input.map((n) => rename.get(n) ?? n);
    const nodes = keptNodes.map((n) => ({
      name: n.name,
      opType: n.op,
      input: n.inputs.map(nameOf),
      output: n.outputs.map(nameOf),
      attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
    }));
    nodes.push(...identities);
    const model = {
      irVersion: IR_VERSION,
      producerName: 'altmoe-studio',
      producerVersion: '0.1',
      docString: options.docString ?? '',
      opsetImport: [{ domain: '', version: OPSET }],
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: nodes,
        initializer: initializers,
        input: graphInputs,
        output: this.outputs.map((o) => valueInfo(o.name, o.tensor.dtype, o.tensor.shape)),
      },
    };
    const err = ModelProto.verify(model);
    if (err) throw new GraphError(`invalid model: ${err}`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}

function toTyped(dtype: DType, data: ArrayLike<number> | ArrayLike<bigint>): ArrayBufferView {
  switch (dtype) {
    case 'float32':
      return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    case 'float64':
      return data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>);
    case 'int64':
      return data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data as ArrayLike<number | bigint>, (v) => BigInt(v)));
    case 'int32':
      return Int32Array.from(data as ArrayLike<number>);
    case 'bool':
    case 'uint8':
      return Uint8Array.from(data as ArrayLike<number>);
    case 'int8':
      return Int8Array.from(data as ArrayLike<number>);
  }
}

function tensorProto(name: string, dtype: DType, dims: readonly number[], data: ArrayBufferView): object {
  return { name, dataType: ONNX_DTYPE[dtype], dims: [...dims], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function attrProto(name: string, a: Attr): object {
  if ('i' in a) return { name, type: ATTR_TYPE.INT, i: a.i };
  if ('f' in a) return { name, type: ATTR_TYPE.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: ATTR_TYPE.INTS, ints: [...a.ints] };
  if ('floats' in a) return { name, type: ATTR_TYPE.FLOATS, floats: [...a.floats] };
  if ('s' in a) return { name, type: ATTR_TYPE.STRING, s: new TextEncoder().encode(a.s) };
  return { name, type: ATTR_TYPE.TENSOR, t: tensorProto(name, a.t.dtype, a.t.dims, a.t.data) };
}
