// The auto preset's choice of ensemble weights on val: each member's rows once, then the weights per
// direction by coordinate ascent or equal weights, whichever holds up on held-out halves of val, and
// the hubness correction's strength.
import type { ParamValues } from '../onnx/graph.ts';
import type { ModelSpec } from '../train/spec.ts';
import { mulberry32, permutation } from '../util/rng.ts';
import type { AltMoeConfig } from './altmoe.ts';
import { normParams } from './altmoe.ts';
import { tuneBaselines } from './baselines/tuned.ts';
import { comboScore, MemberRows, memberRows, micro, Rows, sliceRows, Weights } from './ensemble-rows.ts';
import { ensembleValues, JOINT_MEMBERS, MEMBERS, NO_MEMBERS, TRAINED_MEMBERS, type Direction, type EnsembleConfig, type MemberName } from './ensemble.ts';
import type { EvalSet } from './eval-set.ts';
import { standardise } from './evaluate.ts';
import { Served } from './served.ts';
import { FEW_VAL_ITEMS } from './small-val.ts';
import { bankRows, chooseQbNorm } from './qbnorm.ts';

/** Most training rows kept as anchors for the neighbour and ASIF members (memory and search cost). */
export const MAX_ANCHORS = 4096;
export const WEIGHT_GRID = [0, 0.25, 0.5, 1, 2];
/** Most val media items (with all their captions) the ensemble weights are chosen on. */
export const WEIGHT_VAL_ITEMS = 2000;

/** At most `max` media items of an evaluation set (a seeded choice), each with all its captions. */
function capMedia(set: EvalSet, da: number, db: number, max: number, seed: number): EvalSet {
  const n = set.aVecs.length / da;
  if (n <= max) return set;
  return mediaSubset(set, da, db, Array.from(permutation(n, mulberry32(seed + 101)).slice(0, max))).set;
}

/** The media items `items` of an evaluation set with all their captions, and which captions those are. */
function mediaSubset(set: EvalSet, da: number, db: number, items: readonly number[]): { set: EvalSet; media: number[]; caps: number[] } {
  const media = [...items].sort((x, y) => x - y);
  const slot = new Int32Array(set.aVecs.length / da).fill(-1);
  media.forEach((m, i) => (slot[m] = i));
  const caps = [...set.owner.keys()].filter((j) => slot[set.owner[j]!]! >= 0);
  const aVecs = new Float32Array(media.length * da);
  media.forEach((m, i) => aVecs.set(set.aVecs.subarray(m * da, (m + 1) * da), i * da));
  const bVecs = new Float32Array(caps.length * db);
  caps.forEach((j, i) => bVecs.set(set.bVecs.subarray(j * db, (j + 1) * db), i * db));
  return { set: { ...set, aVecs, bVecs, owner: Int32Array.from(caps, (j) => slot[set.owner[j]!]!) }, media, caps };
}

export interface EnsembleFit {
  ensemble: EnsembleConfig;
  tensors: Record<string, Float32Array>;
  /** Validation micro-score of each member alone and of the chosen weights. */
  single: Record<MemberName, number>;
  valScore: number;
  /** How each direction's weights were chosen: coordinate ascent, equal weights, or equal weights because val is small. */
  weighing: Record<Direction, Weighing>;
  /** QB-Norm's beta per direction (0: off). */
  qbnorm?: Record<Direction, number>;
}

/** Ablations of the ensemble fit. */
export interface FitOptions {
  /**
   * How weights are chosen on val: 'heldout' (default), per direction whichever of 'ascent' and
   * 'equal' generalises better from one half of val to the other, and equal weights when val has
   * fewer than FEW_VAL_ITEMS media items; 'ascent', coordinate ascent over WEIGHT_GRID from the best
   * member alone; 'equal', every member weighted 1.
   */
  search?: 'ascent' | 'equal' | 'heldout';
  /** QB-Norm per direction where it raises val recall (default on; model/qbnorm.ts). */
  qbnorm?: boolean;
}

/** With few val items, the share of the best member's val score a member needs to be weighed in. */
export const SOUND_SHARE = 0.5;

/**
 * Fits the training-free members on the run's standardised training rows, scores every member on
 * val, then chooses each direction's weights on val (FitOptions.search). With FEW_VAL_ITEMS val
 * media items or more, the result is never worse on val than the best training-free member
 * ('ascent' starts from the best member alone and only climbs; 'heldout' falls back to the ascent
 * where equal weights would be below that member); with fewer, 'heldout' weighs the members not far
 * below the best (SOUND_SHARE) equally.
 */
export async function fitEnsemble(
  spec: ModelSpec,
  values: ParamValues,
  pair: { a: string; b: string; trainA: Float32Array; trainB: Float32Array; val: EvalSet; joint?: boolean; unpaired?: { a: Float32Array; b: Float32Array } },
  seed: number,
  options: FitOptions = {},
): Promise<EnsembleFit> {
  const { search = 'heldout', qbnorm = true } = options;
  // The zero-shot member only where both encoders are towers of one contrastive model.
  const members = pair.joint ? MEMBERS : MEMBERS.filter((m) => !JOINT_MEMBERS.includes(m));
  const c = spec.config as unknown as AltMoeConfig;
  const { a, b } = pair;
  const [da, db] = [c.modalities[a]!, c.modalities[b]!];
  const std = (m: string, x: Float32Array): Float32Array => {
    const [mean, invstd] = normParams(m);
    return standardise(x, values.get(mean) as Float32Array, values.get(invstd) as Float32Array);
  };
  // A seeded subset of the training rows as anchors: bounded memory in search, whatever the data size.
  const n = pair.trainA.length / da;
  const keep = Array.from(permutation(n, mulberry32(seed)).slice(0, Math.min(n, MAX_ANCHORS))).sort((x, y) => x - y);
  const pick = (x: Float32Array, d: number): Float32Array => {
    const out = new Float32Array(keep.length * d);
    keep.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
    return out;
  };
  const ta = pick(std(a, pair.trainA), da);
  const tb = pick(std(b, pair.trainB), db);
  const sval: EvalSet = { ...pair.val, aVecs: std(a, pair.val.aVecs), bVecs: std(b, pair.val.bVecs) };
  const tuned = await tuneBaselines({ a: ta, b: tb, dims: { a: da, b: db } }, sval);
  const by = Object.fromEntries(tuned.map((t) => [t.name, t]));
  const tensors: Record<string, Float32Array> = {
    'ridge.a2b.w': by.ridge!.tensors['a2b.w']!.data,
    'ridge.b2a.w': by.ridge!.tensors['b2a.w']!.data,
    'cca.a.w': by.cca!.tensors['a.w']!.data,
    'cca.b.w': by.cca!.tensors['b.w']!.data,
    'anchors.a': ta,
    'anchors.b': tb,
  };
  const h = (name: string, key: string): number => Number(by[name]!.hyper[key]);
  const ensemble: EnsembleConfig = {
    a,
    b,
    weights: { ...NO_MEMBERS, connector: 1 },
    knn: { a2b: { k: h('knn', 'k_a2b'), temperature: h('knn', 'temperature_a2b') }, b2a: { k: h('knn', 'k_b2a'), temperature: h('knn', 'temperature_b2a') } },
    asif: { k: h('asif', 'k'), power: h('asif', 'power') },
    ccaDim: h('cca', 'components'),
    anchors: keep.length,
  };
  const base: Served = { spec, values: new Map([...values, ...ensembleValues(tensors)]), ensemble };
  // Score matrices grow with val squared: the weights are chosen on at most WEIGHT_VAL_ITEMS media items.
  const wval = capMedia(pair.val, da, db, WEIGHT_VAL_ITEMS, seed);
  const rows: Partial<Record<MemberName, MemberRows>> = {};
  for (const m of members) rows[m] = await memberRows(base, ensemble, m, wval);
  const how: SearchOptions = { members, da };
  const scores = await aloneScores(rows, wval, da, members);
  const { single } = scores;
  const chosen: Required<Chosen> =
    search !== 'heldout'
      ? { ...(await chooseWeights(search, rows, wval, how, scores)), by: { a2b: search, b2a: search } }
      : wval.aVecs.length / da < FEW_VAL_ITEMS
        ? await soundEqualWeights(rows, wval, members, scores.alone)
        : await heldOutWeights(rows, wval, da, db, seed, how, scores);
  const { w, best, by: weighing } = chosen;
  const weighted: EnsembleConfig = { ...ensemble, weights: w.a2b, ...(sameWeights(w.a2b, w.b2a) ? {} : { weightsB2a: w.b2a }) };
  if (!qbnorm) return { ensemble: weighted, tensors, single, valScore: micro(wval, da, best), weighing };
  // QB-Norm on top of the chosen weights, its bank the training and unpaired items of each query modality.
  const banks = { a: bankRows([pair.trainA, pair.unpaired?.a ?? new Float32Array(0)], da, seed), b: bankRows([pair.trainB, pair.unpaired?.b ?? new Float32Array(0)], db, seed + 1) };
  const qb = await chooseQbNorm({ ...base, ensemble: weighted }, wval, banks);
  const served: EnsembleConfig = Object.keys(qb.hub).length > 0 ? { ...weighted, hub: qb.hub } : weighted;
  return { ensemble: served, tensors: { ...tensors, ...qb.tensors }, single, valScore: micro(wval, da, qb.best), weighing, qbnorm: { a2b: qb.hub.a2b?.beta ?? 0, b2a: qb.hub.b2a?.beta ?? 0 } };
}

type Alone = Record<MemberName, Record<Direction, number>>;
const DIRECTIONS = ['a2b', 'b2a'] as const;
type Search = Exclude<FitOptions['search'], undefined | 'heldout'>;
/** How a direction's weights were chosen: a search, or equal weights because val had fewer than FEW_VAL_ITEMS media items. */
export type Weighing = Search | 'small-val';
interface SearchOptions {
  members: readonly MemberName[];
  da: number;
}
interface Chosen {
  w: Record<Direction, Weights>;
  best: Record<Direction, number>;
  /** How each direction's weights were chosen. */
  by?: Record<Direction, Weighing>;
}

/** Each member alone on a set: mean recall per direction, and the micro-average of both. */
async function aloneScores(rows: Rows, set: EvalSet, da: number, members: readonly MemberName[]): Promise<{ alone: Alone; single: Record<MemberName, number> }> {
  const single = {} as Record<MemberName, number>;
  const alone = {} as Alone;
  for (const m of members) {
    const only: Weights = { ...NO_MEMBERS, [m]: 1 };
    alone[m] = await comboScore(rows, only, only, set);
    single[m] = micro(set, da, alone[m]);
  }
  return { alone, single };
}

type AloneScores = Awaited<ReturnType<typeof aloneScores>>;

/** The weights one search chooses on a set (known: the members' scores alone on that set, if already measured). */
async function chooseWeights(search: Search, rows: Rows, set: EvalSet, o: SearchOptions, known?: AloneScores): Promise<Chosen> {
  if (search === 'equal') return equalWeights(rows, set, o.members);
  const { alone, single } = known ?? (await aloneScores(rows, set, o.da, o.members));
  return ascentWeights(rows, alone, single, set, o.da, o.members);
}

/** The searches 'heldout' chooses between, in order of preference on a tie. */
export const HELD_OUT_SEARCHES: readonly Search[] = ['ascent', 'equal'];
/** Random halvings of val the searches are compared on (each half fits, the other scores). */
export const HELD_OUT_SPLITS = 3;

/**
 * Per direction, the search (HELD_OUT_SEARCHES) whose weights, chosen on one half of val, recall
 * best on the other half (both ways round, over HELD_OUT_SPLITS random halvings); that search then chooses
 * the weights on all of val. With few training pairs the ascent fits val's noise and equal weights
 * generalise better; with more, the ascent's gains hold on the other half
 * (bench/results/ensemble-small-ab.jsonl).
 */
async function heldOutWeights(rows: Rows, wval: EvalSet, da: number, db: number, seed: number, o: SearchOptions, scores: AloneScores): Promise<Required<Chosen>> {
  const n = wval.aVecs.length / da;
  const held = Object.fromEntries(HELD_OUT_SEARCHES.map((s) => [s, { a2b: 0, b2a: 0 }])) as Record<Search, Record<Direction, number>>;
  for (let split = 0; split < HELD_OUT_SPLITS; split++) {
    const order = Array.from(permutation(n, mulberry32(seed + 202 + split)));
    const halves = [order.slice(0, n >> 1), order.slice(n >> 1)].map((items) => {
      const sub = mediaSubset(wval, da, db, items);
      const r: Rows = Object.fromEntries(Object.entries(rows).map(([m, x]) => [m, sliceRows(x, sub.media, sub.caps)]));
      return { set: sub.set, rows: r };
    });
    for (const [fit, test] of [[halves[0]!, halves[1]!], [halves[1]!, halves[0]!]] as const) {
      for (const search of HELD_OUT_SEARCHES) {
        const { w } = await chooseWeights(search, fit.rows, fit.set, o);
        const s = await comboScore(test.rows, w.a2b, w.b2a, test.set);
        // Weighted by the half's queries, so each split's two halves count as one pass over val.
        held[search].a2b += s.a2b * (test.set.aVecs.length / da);
        held[search].b2a += s.b2a * test.set.owner.length;
      }
    }
  }
  const preferred = (d: Direction): Search => HELD_OUT_SEARCHES.reduce((x, s) => (held[s][d] > held[x][d] + 1e-12 ? s : x));
  const full: Partial<Record<Search, Chosen>> = {};
  const on = async (s: Search): Promise<Chosen> => (full[s] ??= await chooseWeights(s, rows, wval, o, scores));
  // The ascent starts from the best member alone and only climbs; a search that would serve less on
  // all of val than some training-free member alone gives way to it, so the run is never worse on
  // val than the best training-free mapping.
  const { alone } = scores;
  const free = o.members.filter((m) => !TRAINED_MEMBERS.includes(m));
  const bestAlone = (d: Direction): number => Math.max(-Infinity, ...free.map((m) => alone[m][d]));
  const winner: Record<Direction, Search> = { a2b: 'ascent', b2a: 'ascent' };
  for (const d of DIRECTIONS) {
    const s = preferred(d);
    if ((await on(s)).best[d] >= bestAlone(d)) winner[d] = s;
  }
  const [ab, ba] = [await on(winner.a2b), await on(winner.b2a)];
  return { w: { a2b: ab.w.a2b, b2a: ba.w.b2a }, best: { a2b: ab.best.a2b, b2a: ba.best.b2a }, by: winner };
}

/**
 * The held-out choice of weights on member rows already computed on val (the members present in
 * `rows`): for experiments with members the served graphs do not build (bench/committee-served.ts).
 */
export async function heldOutOnRows(rows: Rows, val: EvalSet, da: number, db: number, seed: number): Promise<Chosen> {
  const o: SearchOptions = { members: MEMBERS.filter((m) => rows[m]), da };
  return heldOutWeights(rows, val, da, db, seed, o, await aloneScores(rows, val, da, o.members));
}

/**
 * Per direction, weight 1 for each member whose val score alone is at least SOUND_SHARE of the best
 * member's, 0 for the others: equal weights that leave out a member gone wrong (a connector that did
 * not train), a gap no handful of val queries makes by chance. *
 * 'heldout' takes these below FEW_VAL_ITEMS val media items. The members are tuned on the same val
 * pairs (the connector's trial and step, the baselines' settings in part), so on a few dozen of them
 * each looks better than it is, by chance and unevenly, and weights fitted there follow that; halves
 * of val cannot tell, both having tuned the members. On the clipart curve's data with 70 val pairs
 * this served test R@1 +0.3 / +1.0 over the held-out choice at 500 pairs and +0.3 / +0.1 at 1,000 (6
 * seeds each), -0.15 / -0.15 at 250 (4 seeds); with 200 the held-out choice mostly picks equal
 * weights already; with 504 it serves better than equal weights (docs/decisions.md, "Equal weights on
 * a small val split").
 */
async function soundEqualWeights(rows: Rows, wval: EvalSet, members: readonly MemberName[], alone: Alone): Promise<Required<Chosen>> {
  const sound = (d: Direction): Weights => {
    const top = Math.max(...members.map((m) => alone[m][d]));
    return onesFor(members.filter((m) => alone[m][d] >= SOUND_SHARE * top));
  };
  const w = { a2b: sound('a2b'), b2a: sound('b2a') };
  return { w, best: await comboScore(rows, w.a2b, w.b2a, wval), by: { a2b: 'small-val', b2a: 'small-val' } };
}

/** Weight 1 for each of these members, 0 for the rest. */
const onesFor = (members: readonly MemberName[]): Weights => ({ ...NO_MEMBERS, ...Object.fromEntries(members.map((m) => [m, 1])) });

/** Every member weighted 1, both directions. */
async function equalWeights(rows: Rows, wval: EvalSet, members: readonly MemberName[]): Promise<{ w: Record<Direction, Weights>; best: Record<Direction, number> }> {
  const all = onesFor(members);
  return { w: { a2b: all, b2a: all }, best: await comboScore(rows, all, all, wval) };
}

/**
 * Coordinate ascent for both directions at once (two passes over WEIGHT_GRID, starting from the
 * best single member): each trial changes the same member's weight in each direction's current
 * best, and each direction keeps its own improvements.
 */
/** The least val gain (mean recall, 0..1) a weight change must bring to be kept: any real gain. */
const MIN_GAIN = 1e-9;

async function ascentWeights(rows: Rows, alone: Alone, single: Record<MemberName, number>, wval: EvalSet, da: number, members: readonly MemberName[]): Promise<{ w: Record<Direction, Weights>; best: Record<Direction, number> }> {
  const zero: Weights = { ...NO_MEMBERS };
  const start = (d: Direction): Weights => ({ ...zero, [members.reduce((x, m) => (alone[m][d] > alone[x][d] ? m : x))]: 1 });
  const w: Record<Direction, Weights> = { a2b: start('a2b'), b2a: start('b2a') };
  const best: Record<Direction, number> = { a2b: Math.max(...members.map((m) => alone[m].a2b)), b2a: Math.max(...members.map((m) => alone[m].b2a)) };
  const valid = (x: Weights) => members.some((m) => x[m] > 0);
  for (let pass = 0; pass < 2; pass++) {
    for (const m of members) {
      for (const v of WEIGHT_GRID) {
        const trial = { a2b: { ...w.a2b, [m]: v }, b2a: { ...w.b2a, [m]: v } };
        if (!valid(trial.a2b) || !valid(trial.b2a)) continue;
        const s = await comboScore(rows, trial.a2b, trial.b2a, wval);
        for (const d of DIRECTIONS) {
          if (s[d] > best[d] + MIN_GAIN) {
            best[d] = s[d];
            w[d] = trial[d];
          }
        }
      }
    }
  }
  return { w, best };
}

const sameWeights = (x: Weights, y: Weights): boolean => MEMBERS.every((m) => x[m] === y[m]);
