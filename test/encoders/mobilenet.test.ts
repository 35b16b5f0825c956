// The TF.js -> ONNX conversion of a real pretrained model (nsfwjs' MobileNetV2): the converted graph
// must compute what TF.js itself computes with the same weights on the same input.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { convertKerasImageModel } from '../../src-main/core/encoders/keras.ts';
import { loadShippedMobileNet, makeMobileNetEncoder } from '../../src-main/core/encoders/mobilenet.ts';
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
});
