// Held-out folds of the training pairs, where the baselines' settings are scored when val is small:
// how rows are split, and that the chosen setting is the one with the best score pooled over val and
// the folds (a brute-force ridge, ridge-reference.ts, as the reference).
import { describe, expect, it } from 'vitest';
import { SCORED_FOLDS, trainingFolds, TUNING_FOLDS, type PairTrain } from '../../src-main/core/model/baselines/folds.ts';
import { RIDGE_ALPHAS, tuneBaselines } from '../../src-main/core/model/baselines/tuned.ts';
import type { EvalSet } from '../../src-main/core/model/eval-set.ts';
import { FEW_VAL_ITEMS } from '../../src-main/core/model/small-val.ts';
import { seeded } from '../onnx/gradcheck.ts';
import { bruteRidge, forwardRecall } from './ridge-reference.ts';

const [da, db] = [40, 30];

/** `items` media vectors with `captions` caption rows each (b = a M + noise), rows in caption order. */
function rows(items: number, captions: number, seed: number, mix: Float64Array, noise = 0.8) {
  const rand = seeded(seed);
  const media = Float32Array.from({ length: items * da }, () => rand());
  const a = new Float32Array(items * captions * da);
  const b = new Float32Array(items * captions * db);
  const owner = new Int32Array(items * captions);
  for (let i = 0; i < items; i++) for (let c = 0; c < captions; c++) {
    const r = i * captions + c;
    owner[r] = i;
    a.set(media.subarray(i * da, (i + 1) * da), r * da);
    for (let j = 0; j < db; j++) {
      let s = noise * rand();
      for (let k = 0; k < da; k++) s += media[i * da + k]! * mix[k * db + j]!;
      b[r * db + j] = s;
    }
  }
  return { media, a, b, owner };
}

const mix = Float64Array.from({ length: da * db }, seeded(1));

describe('held-out folds of the training pairs', () => {
  it('keep each media item with all its captions in one fold, and hold out every row exactly once', () => {
    const t = rows(53, 3, 2, mix);
    const folds = trainingFolds({ a: t.a, b: t.b, dims: { a: da, b: db } }, { a: 'image', b: 'text' }, TUNING_FOLDS);
    expect(folds).toHaveLength(TUNING_FOLDS);
    const key = (x: Float32Array, r: number, d: number) => Array.from(x.subarray(r * d, (r + 1) * d)).join(',');
    const heldCaptions = new Set<string>();
    for (const { fit, held } of folds) {
      const heldMedia = held.aVecs.length / da;
      // 53 items in 5 folds: 10 or 11 each.
      expect([10, 11]).toContain(heldMedia);
      expect(held.owner.length).toBe(3 * heldMedia);
      expect(fit.a.length / da + held.owner.length).toBe(159);
      const fitMedia = new Set(Array.from({ length: fit.a.length / da }, (_, r) => key(fit.a, r, da)));
      for (let m = 0; m < heldMedia; m++) expect(fitMedia.has(key(held.aVecs, m, da))).toBe(false);
      held.owner.forEach((m, r) => {
        // Each held caption is scored against its own media row.
        const source = Array.from({ length: 159 }, (_, i) => i).find((i) => key(t.b, i, db) === key(held.bVecs, r, db))!;
        expect(key(held.aVecs, m, da)).toBe(key(t.a, source, da));
        heldCaptions.add(key(held.bVecs, r, db));
      });
    }
    expect(heldCaptions.size).toBe(159);
  });

  it('are not made from too few training items', () => {
    const t = rows(4 * TUNING_FOLDS, 1, 3, mix);
    expect(trainingFolds({ a: t.a, b: t.b, dims: { a: da, b: db } }, { a: 'image', b: 'text' }, TUNING_FOLDS)).toEqual([]);
  });

  it('choose, on a small val split, the ridge lambda with the best mean recall pooled over val and the scored folds', async () => {
    const t = rows(150, 1, 4, mix, 6);
    const v = rows(20, 1, 5, mix, 6);
    const train: PairTrain = { a: t.a, b: t.b, dims: { a: da, b: db } };
    const val: EvalSet = { a: 'image', b: 'text', aVecs: v.media, bVecs: v.b, owner: v.owner };
    expect(20).toBeLessThan(FEW_VAL_ITEMS);
    const sets = [{ fit: train, held: val }, ...trainingFolds(train, val, TUNING_FOLDS, SCORED_FOLDS)];
    expect(sets).toHaveLength(1 + SCORED_FOLDS);
    const valAlone: number[] = [];
    const pooled: number[] = [];
    const ridges = sets.map(({ fit }) => bruteRidge(fit.a, fit.b, da, db));
    for (const alpha of RIDGE_ALPHAS) {
      let sum = 0;
      for (const [i, { held }] of sets.entries()) {
        const score = await forwardRecall(ridges[i]!(alpha), held, da, db);
        sum += score * (held.aVecs.length / da);
        if (held === val) valAlone.push(score);
      }
      pooled.push(sum);
    }
    const best = RIDGE_ALPHAS[pooled.indexOf(Math.max(...pooled))];
    const ridge = (await tuneBaselines(train, val)).find((b) => b.name === 'ridge')!;
    expect(ridge.hyper.alpha_a2b).toBe(best);
    // On these 20 val pairs alone another lambda would have been chosen.
    expect(RIDGE_ALPHAS[valAlone.indexOf(Math.max(...valAlone))]).not.toBe(best);
  });
});
