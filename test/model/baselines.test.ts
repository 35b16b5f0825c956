// The tuned baselines against brute-force references written independently here (plain loops,
// a full Cholesky solve), on small hand-made data.
import { describe, expect, it } from 'vitest';
import type { PairTrain } from '../../src-main/core/model/baselines/folds.ts';
import { pca } from '../../src-main/core/model/baselines/pca.ts';
import { neighbourMap, relativeMap, RIDGE_ALPHAS, tuneBaselines } from '../../src-main/core/model/baselines/tuned.ts';
import { microScore } from '../../src-main/core/model/baselines/recall.ts';
import { symmetricEigen } from '../../src-main/core/model/linalg.ts';
import { crossModalRecall } from '../../src-main/core/model/retrieval.ts';
import { FEW_VAL_ITEMS } from '../../src-main/core/model/small-val.ts';
import { seeded } from '../onnx/gradcheck.ts';
import { bruteRidge, forwardRecall } from './ridge-reference.ts';

/** Views a = x, b = x M + noise of one latent x, standardised-ish (centred on the training mean). */
function views(n: number, da: number, db: number, noise: number, seed: number, mix?: Float64Array) {
  const rand = seeded(seed);
  const m = mix ?? Float64Array.from({ length: da * db }, () => rand() * 2 - 1);
  const a = Float32Array.from({ length: n * da }, () => rand() * 2 - 1);
  const b = new Float32Array(n * db);
  for (let r = 0; r < n; r++) for (let j = 0; j < db; j++) {
    let s = noise * (rand() * 2 - 1);
    for (let k = 0; k < da; k++) s += a[r * da + k]! * m[k * db + j]!;
    b[r * db + j] = s;
  }
  return { a, b, mix: m, owner: Int32Array.from({ length: n }, (_, i) => i) };
}

const dot = (x: Float32Array, i: number, y: Float32Array, j: number, d: number): number => {
  let s = 0;
  for (let k = 0; k < d; k++) s += x[i * d + k]! * y[j * d + k]!;
  return s;
};
const norm = (x: Float32Array, i: number, d: number): number => Math.sqrt(dot(x, i, x, i, d));

describe('tuned baselines', () => {
  const da = 6;
  const db = 5;
  const t = views(300, da, db, 0.3, 1);
  // As many val items as FEW_VAL_ITEMS: the settings are chosen on val alone (folds.ts).
  const v = views(FEW_VAL_ITEMS, da, db, 0.3, 2, t.mix);
  const train: PairTrain = { a: t.a, b: t.b, dims: { a: da, b: db } };
  const val = { a: 'image', b: 'text', aVecs: v.a, bVecs: v.b, owner: v.owner };

  it('ridge picks the lambda a brute-force search picks, with the same matrix', async () => {
    const ridge = (await tuneBaselines(train, val)).find((b) => b.name === 'ridge')!;
    const ridgeOf = bruteRidge(t.a, t.b, da, db);
    let best: { alpha: number; score: number; w: Float64Array } = { alpha: 0, score: -1, w: new Float64Array() };
    for (const alpha of RIDGE_ALPHAS) {
      const w = ridgeOf(alpha);
      const score = await forwardRecall(w, val, da, db);
      if (score > best.score) best = { alpha, score, w };
    }
    expect(ridge.hyper.alpha_a2b).toBe(best.alpha);
    const w = ridge.tensors['a2b.w']!;
    expect(w.shape).toEqual([da, db]);
    Array.from(w.data).forEach((x, i) => expect(x).toBeCloseTo(best.w[i]!, 4));
  });

  it('nearest neighbours average the targets of the k most cosine-similar training sources', async () => {
    const q = v.a.subarray(0, 3 * da);
    const ours = await neighbourMap(t.a, t.b, da, db, 4, 0)(q);
    for (let r = 0; r < 3; r++) {
      const sims = Array.from({ length: 300 }, (_, i) => [dot(q, r, t.a, i, da) / norm(t.a, i, da), i] as const).sort((x, y) => y[0] - x[0]);
      for (let j = 0; j < db; j++) {
        const mean = sims.slice(0, 4).reduce((s, [, i]) => s + t.b[i * db + j]!, 0) / 4;
        expect(ours[r * db + j]!).toBeCloseTo(mean, 5);
      }
    }
  });

  it('ASIF keeps the k largest anchor similarities, raised to the power, zero elsewhere', async () => {
    const q = v.b.subarray(0, 2 * db);
    const ours = await relativeMap(t.b, db, 5, 3)(q);
    expect(ours.length).toBe(2 * 300);
    for (let r = 0; r < 2; r++) {
      const cos = Array.from({ length: 300 }, (_, i) => dot(q, r, t.b, i, db) / norm(q, r, db) / norm(t.b, i, db));
      const kth = [...cos].sort((x, y) => y - x)[4]!;
      cos.forEach((c, i) => expect(ours[r * 300 + i]!).toBeCloseTo(c >= kth ? Math.max(c, 0) ** 3 : 0, 5));
    }
  });

  it('CCA finds a noiseless linear relation: retrieval is perfect on validation', async () => {
    const exact = views(300, da, db, 0, 3);
    const exactVal = views(40, da, db, 0, 4, exact.mix);
    const tuned = await tuneBaselines({ a: exact.a, b: exact.b, dims: { a: da, b: db } }, { a: 'image', b: 'text', aVecs: exactVal.a, bVecs: exactVal.b, owner: exactVal.owner });
    const cca = tuned.find((b) => b.name === 'cca')!;
    expect(cca.valScore).toBeCloseTo(100, 6);
    expect(cca.tensors['a.w']!.shape).toEqual([da, cca.hyper.components]);
  });

  it('each baseline reports the validation micro-score of the setting it chose', async () => {
    for (const b of await tuneBaselines(train, val)) {
      const r = await crossModalRecall({
        mediaQueries: await b.maps.aToB.query(v.a),
        captionGallery: await b.maps.aToB.gallery(v.b),
        captionDim: b.maps.aToB.dim,
        captionQueries: await b.maps.bToA.query(v.b),
        mediaGallery: await b.maps.bToA.gallery(v.a),
        mediaDim: b.maps.bToA.dim,
        owner: v.owner,
      });
      expect(b.valScore, b.name).toBeCloseTo(microScore([{ result: r, media: FEW_VAL_ITEMS, captions: FEW_VAL_ITEMS }]), 6);
      expect(b.valScore, b.name).toBeGreaterThan(100 * (10 / FEW_VAL_ITEMS) / 3); // far above chance
    }
  });

  it('the micro-score weighs every query the same', () => {
    const r = (x: number) => ({ r1: x, r5: x, r10: x, map10: x });
    const big = { result: { forward: r(0.5), backward: r(0.5), rsum: 300 }, media: 1000, captions: 1000 };
    const tiny = { result: { forward: r(1), backward: r(1), rsum: 600 }, media: 6, captions: 6 };
    expect(microScore([big, tiny])).toBeCloseTo((100 * (0.5 * 2000 + 12)) / 2012, 9);
  });

  it('PCA of fewer rows than dimensions (by the Gram matrix) has the covariance\'s components, variances and coordinates', async () => {
    const [n, d] = [14, 40];
    const rand = seeded(11);
    const x = Float32Array.from({ length: n * d }, () => rand() * 2 - 1);
    const got = await pca(x, d);
    // Reference: the full d x d covariance, decomposed exactly.
    const cov = new Float64Array(d * d);
    for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i * d + j] = cov[i * d + j]! + (x[r * d + i]! * x[r * d + j]!) / n;
    const ref = symmetricEigen(cov, d);
    expect(got.p).toBe(n);
    for (let j = 0; j < got.p; j++) {
      expect(got.variance[j]).toBeCloseTo(ref.values[j]!, 6);
      // Columns agree up to sign.
      let dot = 0;
      for (let i = 0; i < d; i++) dot += got.q[i * got.p + j]! * ref.vectors[i * d + j]!;
      expect(Math.abs(dot)).toBeCloseTo(1, 5);
      for (let r = 0; r < n; r++) {
        let zr = 0;
        for (let i = 0; i < d; i++) zr += x[r * d + i]! * got.q[i * got.p + j]!;
        expect(got.z[r * got.p + j]).toBeCloseTo(zr, 5);
      }
    }
  });
});
