import { describe, expect, it } from 'vitest';
import { altMoeModel, normParams, type AltMoeConfig } from '../../src-main/core/model/altmoe.ts';
import { describeServed, NO_MEMBERS, servedDim, type EnsembleConfig } from '../../src-main/core/model/ensemble.ts';
import { mapDirection, standardise } from '../../src-main/core/model/evaluate.ts';
import { PRESETS } from '../../src-main/core/model/presets.ts';
import { normalizeRows } from '../../src-main/core/index/exact.ts';
import { galleryMapper, queryMapper, type Served } from '../../src-main/core/model/served.ts';
import { mulberry32 } from '../../src-main/core/util/rng.ts';
import { initParams } from '../../src-main/core/train/checkpoint.ts';

const DIMS = { image: 12, text: 7 };
const CONFIG: AltMoeConfig = { kind: 'altmoe', modalities: DIMS, pairs: [['image', 'text']], ...PRESETS.laptop.model, dim: 16, hidden: 24, layers: 1 };

const randomRows = (n: number, d: number, seed: number): Float32Array => {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n * d }, () => rand() * 2 - 1);
};

async function mapped(s: Served, src: string, tgt: string, q: Float32Array, g: Float32Array): Promise<{ q: Float32Array; g: Float32Array; d: number }> {
  const qm = await queryMapper(s, src, tgt);
  const gm = await galleryMapper(s, tgt);
  try {
    return { q: await qm.map(q), g: await gm.map(g), d: servedDim(s.ensemble, tgt, DIMS) };
  } finally {
    await qm.release();
    await gm.release();
  }
}

const dot = (x: Float32Array, i: number, y: Float32Array, j: number, d: number): number => {
  let s = 0;
  for (let k = 0; k < d; k++) s += x[i * d + k]! * y[j * d + k]!;
  return s;
};

describe('served ensemble graphs', () => {
  it('the reverse member scores a query in its own space against the gallery mapped by the other direction', async () => {
    const spec = altMoeModel(CONFIG);
    const values = initParams(spec, 3);
    // Non-trivial standardisation, so a graph that skipped it would not match.
    for (const [m, d] of Object.entries(DIMS)) {
      const [mean, invstd] = normParams(m);
      values.set(mean, randomRows(1, d, 10 + d));
      values.set(invstd, Float32Array.from(randomRows(1, d, 20 + d), (v) => 1 + Math.abs(v)));
    }
    const ensemble: EnsembleConfig = { a: 'image', b: 'text', weights: { ...NO_MEMBERS, connector: 1, reverse: 2 }, weightsB2a: { ...NO_MEMBERS, reverse: 0.5 }, knn: { a2b: { k: 1, temperature: 0 }, b2a: { k: 1, temperature: 0 } }, asif: { k: 1, power: 1 }, ccaDim: 0, anchors: 0 };
    const served: Served = { spec, values, ensemble };
    const images = randomRows(5, DIMS.image, 1);
    const texts = randomRows(4, DIMS.text, 2);
    const std = (m: keyof typeof DIMS, x: Float32Array) => {
      const [mean, invstd] = normParams(m);
      return normalizeRows(standardise(x, values.get(mean) as Float32Array, values.get(invstd) as Float32Array), DIMS[m]);
    };
    const i2t = normalizeRows(await mapDirection(spec, values, 'image', 'text', images), DIMS.text);
    const t2i = normalizeRows(await mapDirection(spec, values, 'text', 'image', texts), DIMS.image);
    const [si, st] = [std('image', images), std('text', texts)];

    // image -> text: 1 cos(c_it(q), std(g)) + 2 cos(std(q), c_ti(g)), as one dot product.
    const fwd = await mapped(served, 'image', 'text', images, texts);
    expect(fwd.d).toBe(DIMS.text + DIMS.image);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 4; j++) {
        const want = dot(i2t, i, st, j, DIMS.text) + 2 * dot(si, i, t2i, j, DIMS.image);
        expect(dot(fwd.q, i, fwd.g, j, fwd.d)).toBeCloseTo(want, 5);
      }
    }
    // text -> image serves the reverse member alone: cos(std(q), c_it(g)), in the text space.
    const bwd = await mapped(served, 'text', 'image', texts, images);
    expect(bwd.d).toBe(DIMS.text);
    for (let j = 0; j < 4; j++) for (let i = 0; i < 5; i++) expect(dot(bwd.q, j, bwd.g, i, bwd.d)).toBeCloseTo(0.5 * dot(st, j, i2t, i, DIMS.text), 5);
    expect(describeServed(ensemble)).toBe('image->text: connector x1 + connector reversed (gallery mapped) x2; text->image: connector reversed (gallery mapped) x0.5');
  });

  it('weights stored before the reverse member existed serve as before', async () => {
    const spec = altMoeModel(CONFIG);
    const values = initParams(spec, 4);
    const { reverse: _, ...older } = { ...NO_MEMBERS, connector: 1 };
    const ensemble = { a: 'image', b: 'text', weights: older, knn: { a2b: { k: 1, temperature: 0 }, b2a: { k: 1, temperature: 0 } }, asif: { k: 1, power: 1 }, ccaDim: 0, anchors: 0 } as unknown as EnsembleConfig;
    const images = randomRows(3, DIMS.image, 5);
    const texts = randomRows(3, DIMS.text, 6);
    const out = await mapped({ spec, values, ensemble }, 'image', 'text', images, texts);
    expect(out.d).toBe(DIMS.text);
    const i2t = normalizeRows(await mapDirection(spec, values, 'image', 'text', images), DIMS.text);
    for (let k = 0; k < i2t.length; k++) expect(out.q[k]).toBeCloseTo(i2t[k]!, 6);
  });
});
