// The TF.js graph model -> ONNX conversion of a real pretrained audio model (Spotify's Basic Pitch,
// from @spotify/basic-pitch): the converted graph must compute what TF.js itself computes from the
// same weights on the same input, window by window, and clips of any length must come out whole.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASIC_PITCH_FEATURES, BASIC_PITCH_FRAMES, BASIC_PITCH_WINDOW, convertBasicPitch, loadShippedBasicPitch, makeBasicPitchEncoder } from '../../src-main/core/encoders/basic-pitch.ts';
import { describeEncoder } from '../../src-main/core/encoders/describe.ts';
import { createSession, tensor } from '../../src-main/core/onnx/runtime.ts';
import { mulberry32 } from '../../src-main/core/util/rng.ts';
import { tempDir } from '../helpers.ts';

const WIDTH = BASIC_PITCH_FEATURES.reduce((n, f) => n + f.width, 0);

/** Two seconds of a chord with a little noise: something with pitch for the model to find. */
function chord(length: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length }, (_, i) => 0.2 * Math.sin((2 * Math.PI * 220 * i) / 22050) + 0.15 * Math.sin((2 * Math.PI * 330 * i) / 22050 + seed) + 0.02 * (rand() - 0.5));
}

async function tfjsReference(windows: Float32Array, count: number): Promise<Float32Array[]> {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('@spotify/basic-pitch/package.json')), 'model');
  const model = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const bin = readFileSync(path.join(dir, model.weightsManifest[0]!.paths[0]!));
  await tf.setBackend('cpu');
  const ref = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: model.modelTopology, weightSpecs: model.weightsManifest[0]!.weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
  const outs = ref.execute(tf.tensor3d(windows, [count, BASIC_PITCH_WINDOW, 1]), BASIC_PITCH_FEATURES.map((f) => f.node)) as tf.Tensor[];
  return (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
}

describe('TF.js graph model converted to ONNX (Basic Pitch from @spotify/basic-pitch)', () => {
  it('matches TF.js on the same windows, for every feature it keeps', async () => {
    const L = BASIC_PITCH_WINDOW;
    const audio = new Float32Array(2 * L);
    audio.set(chord(L, 1), 0);
    audio.set(chord(L, 2), L);
    const expected = await tfjsReference(audio, 2);
    const s = await createSession(convertBasicPitch(loadShippedBasicPitch()));
    // One clip of two windows: frames of window 0, then of window 1.
    const got = (await s.run({ input_values: tensor('float32', [1, 2 * L], audio) })).last_hidden_state!;
    expect(got.dims).toEqual([1, 2 * BASIC_PITCH_FRAMES, WIDTH]);
    const data = got.data as Float32Array;
    let offset = 0;
    BASIC_PITCH_FEATURES.forEach((f, k) => {
      const ref = expected[k]!;
      expect(ref.length).toBe(2 * BASIC_PITCH_FRAMES * f.width);
      let worst = 0;
      for (let frame = 0; frame < 2 * BASIC_PITCH_FRAMES; frame++) {
        for (let j = 0; j < f.width; j++) {
          const a = data[frame * WIDTH + offset + j]!;
          const b = ref[frame * f.width + j]!;
          worst = Math.max(worst, Math.abs(a - b) / (1e-5 + 1e-4 * Math.abs(b)));
        }
      }
      expect(worst, f.name).toBeLessThanOrEqual(1);
      offset += f.width;
    });
    await s.release();
  }, 120_000);

  it('cuts a clip of any length into whole windows and keeps clips of a batch apart', async () => {
    const s = await createSession(convertBasicPitch(loadShippedBasicPitch()));
    const L = BASIC_PITCH_WINDOW;
    const short = chord(5000, 3);
    // A 5000-sample clip is one (zero-padded) window; two clips in a batch stay separate.
    const one = (await s.run({ input_values: tensor('float32', [1, 5000], short) })).last_hidden_state!;
    expect(one.dims).toEqual([1, BASIC_PITCH_FRAMES, WIDTH]);
    const padded = new Float32Array(L);
    padded.set(short);
    const whole = (await s.run({ input_values: tensor('float32', [1, L], padded) })).last_hidden_state!;
    expect(Array.from(one.data as Float32Array)).toEqual(Array.from(whole.data as Float32Array));
    const pair = new Float32Array(2 * (L + 1));
    pair.set(chord(L + 1, 4), 0);
    pair.set(chord(L + 1, 5), L + 1);
    const two = (await s.run({ input_values: tensor('float32', [2, L + 1], pair) })).last_hidden_state!;
    expect(two.dims).toEqual([2, 2 * BASIC_PITCH_FRAMES, WIDTH]);
    const first = (await s.run({ input_values: tensor('float32', [1, L + 1], pair.subarray(0, L + 1)) })).last_hidden_state!;
    const a = (two.data as Float32Array).subarray(0, first.data.length);
    let worst = 0;
    a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (first.data as Float32Array)[i]!))));
    expect(worst).toBeLessThan(1e-5);
    await s.release();
  }, 60_000);

  it('becomes an audio encoder folder the registry accepts: 749 values per frame, mean-pooled', async () => {
    const { dir, dim } = makeBasicPitchEncoder(path.join(tempDir(), 'basic-pitch'));
    expect(dim).toBe(WIDTH);
    const { spec } = await describeEncoder(dir);
    expect(spec).toMatchObject({ modality: 'audio', inputs: { input_values: 'float32' }, outputs: ['last_hidden_state'], pooling: 'mean', dim: 749 });
  });
});
