// How the auto preset chooses its ensemble weights on val (served.ts: fitEnsemble's searches), on
// small hand-made views of one latent, with an untrained connector as the member that is noise.
import { describe, expect, it } from 'vitest';
import { altMoeModel, normParams, type AltMoeConfig } from '../../src-main/core/model/altmoe.ts';
import { microScore } from '../../src-main/core/model/baselines/recall.ts';
import { ensembleValues, galleryNorm, servedDim, JOINT_MEMBERS, MEMBERS, NO_MEMBERS, TRAINED_MEMBERS, type MemberName } from '../../src-main/core/model/ensemble.ts';
import { evaluateBaselines } from '../../src-main/core/model/evaluate.ts';
import { PRESETS } from '../../src-main/core/model/presets.ts';
import { evaluateServed, galleryMapper, mapOnce, queryMapper } from '../../src-main/core/model/served.ts';
import { bankRows, bankTerm, chooseBeta, MAX_BANK, recallWith } from '../../src-main/core/model/qbnorm.ts';
import { normalizeRows } from '../../src-main/core/index/exact.ts';
import { fitEnsemble, SOUND_SHARE, type EnsembleFit, type FitOptions } from '../../src-main/core/model/ensemble-fit.ts';
import { FEW_VAL_ITEMS } from '../../src-main/core/model/small-val.ts';
import { initParams } from '../../src-main/core/train/checkpoint.ts';
import { seeded } from '../onnx/gradcheck.ts';

const DIMS = { image: 6, text: 5 };
const CONFIG: AltMoeConfig = { kind: 'altmoe', modalities: DIMS, pairs: [['image', 'text']], ...PRESETS.laptop.model, dim: 8, hidden: 12, layers: 1 };

/** Views a = x and b = x M + noise of one latent x (M shared by train and val). */
function views(n: number, noise: number, rand: () => number, mix: Float64Array) {
  const [da, db] = [DIMS.image, DIMS.text];
  const a = Float32Array.from({ length: n * da }, () => rand() * 2 - 1);
  const b = new Float32Array(n * db);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < db; j++) {
      let s = noise * (rand() * 2 - 1);
      for (let k = 0; k < da; k++) s += a[r * da + k]! * mix[k * db + j]!;
      b[r * db + j] = s;
    }
  }
  return { a, b };
}

const spec = altMoeModel(CONFIG);
const values = initParams(spec, 3);
for (const [m, d] of Object.entries(DIMS)) {
  const [mean, invstd] = normParams(m);
  values.set(mean, new Float32Array(d));
  values.set(invstd, new Float32Array(d).fill(1));
}
const rand = seeded(5);
const mix = Float64Array.from({ length: DIMS.image * DIMS.text }, () => rand() * 2 - 1);
const train = views(300, 0.8, rand, mix);
const v = views(120, 0.8, rand, mix);
const val = { a: 'image', b: 'text', aVecs: v.a, bVecs: v.b, owner: Int32Array.from({ length: 120 }, (_, i) => i) };
const fit = (options: FitOptions): Promise<EnsembleFit> => fitEnsemble(spec, values, { a: 'image', b: 'text', trainA: train.a, trainB: train.b, val }, 1, options);
const b2a = (f: EnsembleFit) => f.ensemble.weightsB2a ?? f.ensemble.weights;
/** The first n val items (one caption each). */
const firstOfVal = (n: number) => ({ ...val, aVecs: val.aVecs.slice(0, n * DIMS.image), bVecs: val.bVecs.slice(0, n * DIMS.text), owner: val.owner.slice(0, n) });

/** The val micro-score of what a fit serves, measured through the served graphs. */
async function servedScore(f: EnsembleFit, n = 120): Promise<number> {
  const r = await evaluateServed({ spec, values: new Map([...values, ...ensembleValues(f.tensors)]), ensemble: f.ensemble }, firstOfVal(n));
  return microScore([{ result: r, media: n, captions: n }]);
}

describe('ensemble weights chosen on val', () => {
  it("'equal' weighs every member 1 both ways and reports the served graphs' own val score", async () => {
    const equal = await fit({ search: 'equal' });
    // Not the zero-shot member: these encoders are no towers of one model.
    const all = { ...NO_MEMBERS, ...Object.fromEntries(MEMBERS.filter((m) => !JOINT_MEMBERS.includes(m)).map((m) => [m, 1])) };
    expect(equal.ensemble.weights).toEqual(all);
    expect(b2a(equal)).toEqual(all);
    expect(equal.valScore).toBeCloseTo(await servedScore(equal), 6);
  });

  it("'heldout' serves, per direction, the weights of the ascent or of equal weights, and its val score is the served one", async () => {
    const [ascent, equal, heldout] = [await fit({ search: 'ascent' }), await fit({ search: 'equal' }), await fit({ search: 'heldout' })];
    expect([ascent.ensemble.weights, equal.ensemble.weights]).toContainEqual(heldout.ensemble.weights);
    expect([b2a(ascent), b2a(equal)]).toContainEqual(b2a(heldout));
    expect(heldout.valScore).toBeCloseTo(await servedScore(heldout), 6);
    const free = Object.entries(heldout.single).filter(([m]) => !TRAINED_MEMBERS.includes(m as MemberName));
    expect(heldout.valScore).toBeGreaterThanOrEqual(Math.max(...free.map(([, v]) => v)) - 1e-9);
  });

  it("'heldout' keeps the ascent when equal weights would give noise (an untrained connector) as much say as signal", async () => {
    const [ascent, equal, heldout] = [await fit({ search: 'ascent' }), await fit({ search: 'equal' }), await fit({ search: 'heldout' })];
    expect(ascent.valScore).toBeGreaterThan(equal.valScore + 5);
    expect(heldout.ensemble.weights).toEqual(ascent.ensemble.weights);
    expect(b2a(heldout)).toEqual(b2a(ascent));
  });

  it("'heldout' weighs the sound members equally on a val set of fewer than FEW_VAL_ITEMS media items, leaving out one gone wrong", async () => {
    const on = (n: number, search: FitOptions['search']) => fitEnsemble(spec, values, { a: 'image', b: 'text', trainA: train.a, trainB: train.b, val: firstOfVal(n) }, 1, { search });
    const few = await on(FEW_VAL_ITEMS - 1, 'heldout');
    expect(few.weighing).toEqual({ a2b: 'small-val', b2a: 'small-val' });
    // The untrained connector (noise) is far below the training-free members alone on val, so it is
    // left out; every member within SOUND_SHARE of the best weighs 1.
    const free = MEMBERS.filter((m) => !JOINT_MEMBERS.includes(m) && !TRAINED_MEMBERS.includes(m));
    const top = Math.max(...Object.values(few.single));
    expect(few.single.connector).toBeLessThan(SOUND_SHARE * top);
    expect(few.ensemble.weights.connector).toBe(0);
    expect(free.filter((m) => few.ensemble.weights[m] === 1).length).toBeGreaterThanOrEqual(2);
    expect(Object.values(few.ensemble.weights).every((x) => x === 0 || x === 1)).toBe(true);
    expect(few.valScore).toBeCloseTo(await servedScore(few, FEW_VAL_ITEMS - 1), 6);
    // From FEW_VAL_ITEMS on, the held-out choice (here the ascent, as on the full val above).
    const enough = await on(FEW_VAL_ITEMS, 'heldout');
    expect(enough.weighing).not.toEqual({ a2b: 'small-val', b2a: 'small-val' });
    // An explicit search is never overridden.
    expect((await on(FEW_VAL_ITEMS - 1, 'ascent')).weighing).toEqual({ a2b: 'ascent', b2a: 'ascent' });
  });

  it('towers of one contrastive model: their own space is a member (chosen when it is best on val) and a baseline row; other pairs have neither', async () => {
    // Two towers that already agree: b = a + noise in one 6-d space (the connector is untrained noise).
    const d = 6;
    const jointConfig: AltMoeConfig = { ...CONFIG, modalities: { image: d, text: d } };
    const jspec = altMoeModel(jointConfig);
    const jvalues = initParams(jspec, 3);
    for (const m of ['image', 'text']) {
      const [mean, invstd] = normParams(m);
      // A standardisation that differs per tower, so a zero-shot block computed on standardised vectors would lose the agreement.
      jvalues.set(mean, Float32Array.from({ length: d }, (_, i) => (m === 'image' ? 0.5 : -0.5) * (i % 2)));
      jvalues.set(invstd, Float32Array.from({ length: d }, (_, i) => (m === 'image' ? 1 + i : 3 - i / 3)));
    }
    const r = seeded(8);
    const same = (n: number) => {
      const a = Float32Array.from({ length: n * d }, () => r() * 2 - 1);
      return { a, b: Float32Array.from(a, (x) => x + 0.3 * (r() * 2 - 1)) };
    };
    const [jt, jv, js] = [same(300), same(100), same(100)];
    const set = (x: { a: Float32Array; b: Float32Array }) => ({ a: 'image', b: 'text', aVecs: x.a, bVecs: x.b, owner: Int32Array.from({ length: 100 }, (_, i) => i) });
    const joint = await fitEnsemble(jspec, jvalues, { a: 'image', b: 'text', trainA: jt.a, trainB: jt.b, val: set(jv), joint: true }, 1);
    const free = Object.entries(joint.single).filter(([m]) => !TRAINED_MEMBERS.includes(m as MemberName) && m !== 'zeroshot');
    expect(joint.single.zeroshot).toBeGreaterThan(Math.max(...free.map(([, v]) => v)));
    expect(joint.ensemble.weights.zeroshot).toBeGreaterThan(0);
    const served = await evaluateServed({ spec: jspec, values: new Map([...jvalues, ...ensembleValues(joint.tensors)]), ensemble: joint.ensemble }, set(jv));
    expect(joint.valScore).toBeCloseTo(microScore([{ result: served, media: 100, captions: 100 }]), 6);

    const apart = await fitEnsemble(jspec, jvalues, { a: 'image', b: 'text', trainA: jt.a, trainB: jt.b, val: set(jv) }, 1);
    expect(apart.single.zeroshot).toBeUndefined();
    expect(apart.ensemble.weights.zeroshot).toBe(0);

    const rows = { a: jt.a, b: jt.b };
    const withRow = await evaluateBaselines(rows, set(jv), set(js), { a: d, b: d }, { joint: true });
    // Of 600; random ranking of 100 items gives about 32.
    expect(withRow.zeroshot!.result.rsum).toBeGreaterThan(500);
    expect(withRow.zeroshot!.hyper).toEqual({});
    expect((await evaluateBaselines(rows, set(jv), set(js), { a: d, b: d })).zeroshot).toBeUndefined();
  });
});

describe('QB-Norm on what a run serves', () => {
  /** Gallery items g_i (unit), queries g_i + noise + 1.2 c, and one more gallery item c: a hub near every query. */
  function hubbed(n: number, d: number, seed: number) {
    const r = seeded(seed);
    const u = () => (r() + 1) / 2;
    const gauss = () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
    const c = Float32Array.from({ length: d }, gauss);
    const g = Float32Array.from({ length: (n + 1) * d }, gauss);
    g.set(c, n * d);
    const unitG = normalizeRows(g, d);
    const cu = unitG.subarray(n * d);
    const queriesOf = (rows: number) => Float32Array.from({ length: rows * d }, (_, k) => unitG[(k % (n * d))]! + 0.3 * gauss() + 1.2 * cu[k % d]!);
    return { q: queriesOf(n), g: unitG, bank: normalizeRows(queriesOf(n), d), d, norm: 1 };
  }

  it('corrects a planted hub: a gallery item close to every query loses its rank, and recall rises', async () => {
    const rows = hubbed(200, 16, 4);
    const chosen = await chooseBeta(rows, (q) => new Set([q]));
    expect(chosen.off).toBeLessThan(0.7);
    expect(chosen.beta).toBeGreaterThan(0);
    expect(chosen.score).toBeGreaterThan(chosen.off + 0.1);
    // Without a bank there is nothing to normalise by: no correction.
    expect(await chooseBeta({ ...rows, bank: new Float32Array(0) }, (q) => new Set([q]))).toEqual({ beta: 0, score: chosen.off, off: chosen.off });
  });

  it('a fit keeps it only where it wins on val, and reports the served graphs\' own val score either way', async () => {
    const [on, off] = [await fit({}), await fit({ qbnorm: false })];
    expect(off.ensemble.hub).toBeUndefined();
    expect(on.ensemble.weights).toEqual(off.ensemble.weights);
    expect(on.valScore).toBeGreaterThanOrEqual(off.valScore);
    expect(on.valScore).toBeCloseTo(await servedScore(on), 6);
    for (const dir of ['a2b', 'b2a'] as const) expect(on.qbnorm![dir] === 0).toBe(on.ensemble.hub?.[dir] === undefined);
  });

  it("the gallery graph's correction column is -(R / beta) log mean exp(beta cos(bank, g)) over the stored bank, and its ranking the one chooseBeta scored", async () => {
    const off = await fit({ qbnorm: false });
    const plainServed = { spec, values: new Map([...values, ...ensembleValues(off.tensors)]), ensemble: off.ensemble };
    const d = servedDim(off.ensemble, 'image', DIMS);
    const bank = normalizeRows(await mapOnce(queryMapper(plainServed, 'text', 'image'), train.b), d);
    const ensemble = { ...off.ensemble, hub: { b2a: { kind: 'qbnorm' as const, beta: 10, k: 0, bank: 300 } } };
    const served = { spec, values: new Map([...values, ...ensembleValues({ ...off.tensors, 'hub.b2a': bank })]), ensemble };
    const rows = await mapOnce(galleryMapper(served, 'image'), val.aVecs);
    const plain = await mapOnce(galleryMapper(plainServed, 'image'), val.aVecs);
    expect(rows.length).toBe(120 * (d + 2));
    const norm = galleryNorm(off.ensemble.weightsB2a ?? off.ensemble.weights);
    const want = await bankTerm(plain, bank, d, norm, 10);
    for (let r = 0; r < 120; r++) {
      expect(Array.from(rows.subarray(r * (d + 2), r * (d + 2) + d))).toEqual(Array.from(plain.subarray(r * d, (r + 1) * d)).map((x) => expect.closeTo(x, 5)));
      expect(rows[r * (d + 2) + d]!).toBeCloseTo(-want[r]!, 4);
      // Every gallery row keeps one length (sqrt 2 R), so cosine ranking is the corrected score's.
      let sq = 0;
      for (let i = 0; i < d + 2; i++) sq += rows[r * (d + 2) + i]! ** 2;
      expect(Math.sqrt(sq)).toBeCloseTo(Math.SQRT2 * norm, 4);
    }
    // text -> image recall through the served graphs is what the choice measured for beta 10 alone.
    const q = await mapOnce(queryMapper(plainServed, 'text', 'image'), val.bVecs);
    const graphs = await evaluateServed(served, val);
    const measured = await recallWith({ q, g: plain, d, norm }, want, (qi) => new Set([val.owner[qi]!]));
    expect((graphs.backward.r1 + graphs.backward.r5 + graphs.backward.r10) / 3).toBeCloseTo(measured, 9);
  });

  it('its bank holds at most MAX_BANK rows, a seeded choice of the training and unpaired rows', () => {
    const d = 3;
    const x = Float32Array.from({ length: 2000 * d }, (_, i) => i);
    const y = Float32Array.from({ length: 1000 * d }, (_, i) => -i);
    expect(bankRows([x.subarray(0, 30)], d, 1)).toEqual(x.subarray(0, 30));
    const bank = bankRows([x, y], d, 1);
    expect(bank.length).toBe(MAX_BANK * d);
    expect(bankRows([x, y], d, 1)).toEqual(bank);
    expect(bank.some((v) => v < 0) && bank.some((v) => v > 0)).toBe(true);
  });
});
