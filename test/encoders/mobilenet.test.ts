// The TF.js -> ONNX conversion of a real pretrained model (nsfwjs' MobileNetV2): the converted graph
// must compute what TF.js itself computes with the same weights on the same input.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { convertKerasImageModel } from '../../src-main/core/encoders/keras.ts';
import { loadShippedMobileNet, makeInceptionEncoder, makeMobileNetEncoder } from '../../src-main/core/encoders/mobilenet.ts';
import { describeEncoder } from '../../src-main/core/encoders/describe.ts';
import { createSession, tensor } from '../../src-main/core/onnx/runtime.ts';
import { mulberry32 } from '../../src-main/core/util/rng.ts';
import { tempDir } from '../helpers.ts';
import path from 'node:path';

describe('TF.js Keras model converted to ONNX (MobileNetV2 from the nsfwjs package)', () => {
  it('matches TF.js on the same input, at the pooled features and at the class probabilities', async () => {
    const { topology, weights } = loadShippedMobileNet();
    const rand = mulberry32(9);
    const nhwc = Float32Array.from({ length: 2 * 224 * 224 * 3 }, () => rand());
    const nchw = new Float32Array(nhwc.length);
    for (let b = 0; b < 2; b++) for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) for (let c = 0; c < 3; c++) nchw[((b * 3 + c) * 224 + y) * 224 + x] = nhwc[((b * 224 + y) * 224 + x) * 3 + c]!;

    // TF.js reference: the same topology and the same (dequantised) weights, on its CPU backend.
    await tf.setBackend('cpu');
    const specs = [...weights].map(([name, w]) => ({ name, shape: w.shape, dtype: 'float32' as const }));
    const flat = new Float32Array([...weights.values()].reduce((n, w) => n + w.values.length, 0));
    let o = 0;
    for (const w of weights.values()) {
      flat.set(w.values, o);
      o += w.values.length;
    }
    const ref = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology as never, weightSpecs: specs, weightData: flat.buffer }));
    const input = tf.tensor4d(nhwc, [2, 224, 224, 3]);
    const features = tf.model({ inputs: ref.inputs, outputs: ref.getLayer('flatten_1').output as tf.SymbolicTensor });
    const refFeatures = (await (features.predict(input) as tf.Tensor).data()) as Float32Array;
    const refProbs = (await (ref.predict(input) as tf.Tensor).data()) as Float32Array;

    for (const [layer, expected] of [['flatten_1', refFeatures], ['dense_3', refProbs]] as const) {
      const s = await createSession(convertKerasImageModel(topology, weights, { outputLayer: layer, outputName: 'y' }));
      const got = (await s.run({ pixel_values: tensor('float32', [2, 3, 224, 224], nchw) })).y!;
      expect(got.dims).toEqual([2, expected.length / 2]);
      const data = got.data as Float32Array;
      let worst = 0;
      data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]!) / (1e-4 + 1e-3 * Math.abs(expected[i]!)))));
      expect(worst).toBeLessThanOrEqual(1);
      await s.release();
    }
  }, 120_000);

  it('becomes an image encoder folder the registry accepts: 1280-d pooled features', async () => {
    const { dir } = makeMobileNetEncoder(path.join(tempDir(), 'mobilenet'));
    const { spec } = await describeEncoder(dir);
    expect(spec).toMatchObject({ modality: 'image', inputs: { pixel_values: 'float32' }, outputs: ['image_embeds'], pooling: 'none', dim: 1280 });
  });

  it('converts the layers InceptionV3 adds (concatenation, "same" pooling) as TF.js computes them', async () => {
    await tf.setBackend('cpu');
    // A small Inception-style block, its weights drawn at random.
    const input = tf.input({ shape: [9, 9, 3], name: 'input' });
    const stem = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(input) as tf.SymbolicTensor;
    const avg = tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'avg' }).apply(stem) as tf.SymbolicTensor;
    const max = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'max' }).apply(stem) as tf.SymbolicTensor;
    const wide = tf.layers.conv2d({ filters: 5, kernelSize: 1, strides: 2, padding: 'same', name: 'wide' }).apply(avg) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate({ axis: -1, name: 'joined' }).apply([max, wide]) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({ name: 'pooled' }).apply(joined) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: pooled });
    const rand = mulberry32(4);
    model.setWeights(model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => rand() - 0.5), w.shape)));
    const weights = new Map(await Promise.all(model.weights.map(async (w) => [w.originalName, { shape: w.shape as number[], values: (await w.read().data()) as Float32Array }] as const)));
    const topology = { model_config: model.toJSON(null, false) } as never;

    const nhwc = Float32Array.from({ length: 2 * 9 * 9 * 3 }, () => rand());
    const expected = (await (model.predict(tf.tensor4d(nhwc, [2, 9, 9, 3])) as tf.Tensor).data()) as Float32Array;
    const nchw = new Float32Array(nhwc.length);
    for (let b = 0; b < 2; b++) for (let y = 0; y < 9; y++) for (let x = 0; x < 9; x++) for (let c = 0; c < 3; c++) nchw[((b * 3 + c) * 9 + y) * 9 + x] = nhwc[((b * 9 + y) * 9 + x) * 3 + c]!;
    const s = await createSession(convertKerasImageModel(topology, weights, { outputName: 'y' }));
    const got = (await s.run({ pixel_values: tensor('float32', [2, 3, 9, 9], nchw) })).y!;
    expect(got.dims).toEqual([2, 9]);
    (got.data as Float32Array).forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(expected[i]!)));
    await s.release();
  });

  it('InceptionV3 becomes an image encoder folder the registry accepts: 2048-d pooled features at 299 x 299', async () => {
    const { dir } = makeInceptionEncoder(path.join(tempDir(), 'inception'));
    const { spec } = await describeEncoder(dir);
    expect(spec).toMatchObject({ modality: 'image', inputs: { pixel_values: 'float32' }, outputs: ['image_embeds'], pooling: 'none', dim: 2048 });
  }, 60_000);
});
