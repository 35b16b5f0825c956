// Running what a run serves: its query and gallery graphs (ensemble.ts) in ONNX Runtime, for
// evaluation, search and export alike, and the auto preset's choice of ensemble weights on val.
import type { ParamValues } from '../onnx/graph.ts';
import { rowMapper, type RowMapper } from './row-mapper.ts';
import type { ModelSpec } from '../train/spec.ts';
import { mulberry32, permutation } from '../train/rng.ts';
import type { AltMoeConfig } from './altmoe.ts';
import { normParams } from './altmoe.ts';
import { tuneBaselines } from './baselines/tuned.ts';
import { meanRecall } from './baselines/recall.ts';
import { buildGallery, buildQuery, ensembleValues, MEMBERS, NO_MEMBERS, servedDim, TRAINED_MEMBERS, type Direction, type EnsembleConfig, type MemberName } from './ensemble.ts';
import type { EvalSet } from './evaluate.ts';
import { standardise } from './evaluate.ts';
import { crossModalRecall, normalizeRows, type CrossModalResult } from './retrieval.ts';

export interface Served {
  spec: ModelSpec;
  /** The run's parameters and the ensemble's arrays together. */
  values: ParamValues;
  ensemble: EnsembleConfig;
}

const dims = (s: Served): Record<string, number> => (s.spec.config as unknown as AltMoeConfig).modalities;

export function queryMapper(s: Served, src: string, tgt: string): Promise<RowMapper> {
  return rowMapper(buildQuery(s.spec, s.values, s.ensemble, src, tgt), src, dims(s)[src]!, 'query', servedDim(s.ensemble, tgt, dims(s)));
}

export function galleryMapper(s: Served, tgt: string): Promise<RowMapper> {
  return rowMapper(buildGallery(s.spec, s.values, s.ensemble, tgt), tgt, dims(s)[tgt]!, 'gallery', servedDim(s.ensemble, tgt, dims(s)));
}

async function mapOnce(m: Promise<RowMapper>, x: Float32Array): Promise<Float32Array> {
  const mapper = await m;
  try {
    return await mapper.map(x);
  } finally {
    await mapper.release();
  }
}

/** Recall of what a run serves on an evaluation set: the same graphs search and export use. */
export async function evaluateServed(s: Served, set: EvalSet): Promise<CrossModalResult> {
  const fwdDim = servedDim(s.ensemble, set.b, dims(s));
  const bwdDim = servedDim(s.ensemble, set.a, dims(s));
  return crossModalRecall({
    mediaQueries: await mapOnce(queryMapper(s, set.a, set.b), set.aVecs),
    captionGallery: await mapOnce(galleryMapper(s, set.b), set.bVecs),
    captionDim: fwdDim,
    captionQueries: await mapOnce(queryMapper(s, set.b, set.a), set.bVecs),
    mediaGallery: await mapOnce(galleryMapper(s, set.a), set.aVecs),
    mediaDim: bwdDim,
    owner: set.owner,
  });
}

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

/** One member's unit query and gallery rows on val, both directions. */
interface MemberRows {
  qa: Float32Array;
  gb: Float32Array;
  dab: number;
  qb: Float32Array;
  ga: Float32Array;
  dba: number;
}

/** Rows i of x [n, d]. */
function pickRows(x: Float32Array, d: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

/** A member's rows restricted to some media items and their captions (no graph runs again). */
function sliceRows(r: MemberRows, media: readonly number[], caps: readonly number[]): MemberRows {
  return { qa: pickRows(r.qa, r.dab, media), gb: pickRows(r.gb, r.dab, caps), dab: r.dab, qb: pickRows(r.qb, r.dba, caps), ga: pickRows(r.ga, r.dba, media), dba: r.dba };
}

async function memberRows(base: Served, e: EnsembleConfig, m: MemberName, set: EvalSet): Promise<MemberRows> {
  const one: Served = { ...base, ensemble: { ...e, weights: { ...NO_MEMBERS, [m]: 1 }, weightsB2a: undefined, hub: undefined } };
  const dab = servedDim(one.ensemble, set.b, dims(one));
  const dba = servedDim(one.ensemble, set.a, dims(one));
  return {
    qa: normalizeRows(await mapOnce(queryMapper(one, set.a, set.b), set.aVecs), dab),
    gb: normalizeRows(await mapOnce(galleryMapper(one, set.b), set.bVecs), dab),
    dab,
    qb: normalizeRows(await mapOnce(queryMapper(one, set.b, set.a), set.bVecs), dba),
    ga: normalizeRows(await mapOnce(galleryMapper(one, set.a), set.aVecs), dba),
    dba,
  };
}

/** Rows of the given blocks side by side, each block scaled: [n, sum of widths]. */
function sideBySide(blocks: { x: Float32Array; d: number; scale: number }[]): { x: Float32Array; d: number } {
  const d = blocks.reduce((s, b) => s + b.d, 0);
  const n = blocks.length > 0 ? blocks[0]!.x.length / blocks[0]!.d : 0;
  const x = new Float32Array(n * d);
  let at = 0;
  for (const b of blocks) {
    for (let r = 0; r < n; r++) for (let i = 0; i < b.d; i++) x[r * d + at + i] = b.scale * b.x[r * b.d + i]!;
    at += b.d;
  }
  return { x, d };
}

type Weights = Record<MemberName, number>;

/**
 * Val recall of weights wab (a -> b) and wba (b -> a): each member's unit rows side by side, scaled
 * by sqrt(w), so a dot product is the weighted sum of the members' cosines, ranked by the same
 * recall code as always. Returns the mean recall of each direction (the two are independent).
 */
async function comboScore(members: Partial<Record<MemberName, MemberRows>>, wab: Weights, wba: Weights, set: EvalSet): Promise<Record<Direction, number>> {
  const block = (w: Weights, pick: (r: MemberRows) => [Float32Array, number]) =>
    sideBySide(MEMBERS.filter((m) => w[m] > 0 && members[m]).map((m) => ({ x: pick(members[m]!)[0], d: pick(members[m]!)[1], scale: Math.sqrt(w[m]) })));
  const qa = block(wab, (r) => [r.qa, r.dab]);
  const gb = block(wab, (r) => [r.gb, r.dab]);
  const qb = block(wba, (r) => [r.qb, r.dba]);
  const ga = block(wba, (r) => [r.ga, r.dba]);
  const result = await crossModalRecall({ mediaQueries: qa.x, captionGallery: gb.x, captionDim: gb.d, captionQueries: qb.x, mediaGallery: ga.x, mediaDim: ga.d, owner: set.owner });
  return { a2b: meanRecall(result.forward), b2a: meanRecall(result.backward) };
}

/** Both directions' mean recalls as one micro-average over the set's queries (media and captions). */
function micro(set: EvalSet, da: number, r: Record<Direction, number>): number {
  const media = set.aVecs.length / da;
  return (100 * (r.a2b * media + r.b2a * set.owner.length)) / (media + set.owner.length);
}

export interface EnsembleFit {
  ensemble: EnsembleConfig;
  tensors: Record<string, Float32Array>;
  /** Validation micro-score of each member alone and of the chosen weights. */
  single: Record<MemberName, number>;
  valScore: number;
  /** How each direction's weights were chosen: coordinate ascent, equal weights, top-k sums. */
  weighing: Record<Direction, Search>;
}

/** Ablations of the ensemble fit: per-direction weights on, the hubness correction off by default (on real clipart it raised val and RSUM but not test R@1). */
export interface FitOptions {
  /** Weights chosen per direction (else one set for both; 'ascent' only, 'topk' is per direction). */
  perDirection?: boolean;
  /** The hubness correction as a candidate. */
  hubness?: boolean;
  /**
   * How weights are chosen on val: 'heldout' (default), per direction whichever of 'ascent' and
   * 'equal' generalises better from one half of val to the other; 'ascent', coordinate ascent over
   * WEIGHT_GRID; 'equal', every member weighted 1; or 'topk', per direction the equal-weight sum of
   * the k members best alone (k = 1 .. all). On real clipart (1000-4000 pairs, 8 runs) 'topk' was
   * below 'ascent' on image -> text test R@1 in 6 (bench/results/ensemble-reverse-ab.jsonl).
   */
  search?: 'topk' | 'ascent' | 'equal' | 'heldout';
  /** 'heldout' only: how many random halvings of val the searches are compared on. */
  splits?: number;
  /** Ascent only: the least val gain (mean recall, 0..1) a weight change must bring to be kept. */
  margin?: number;
  /** The members that may take part (default: all). */
  members?: readonly MemberName[];
}

/**
 * Fits the training-free members on the run's standardised training rows, scores every member on
 * val, then chooses each direction's weights on val (FitOptions.search). The result is never worse
 * on val than the best training-free member ('ascent' starts from the best member alone and only
 * climbs; 'heldout' falls back to the ascent where equal weights would be below that member).
 */
export async function fitEnsemble(
  spec: ModelSpec,
  values: ParamValues,
  pair: { a: string; b: string; trainA: Float32Array; trainB: Float32Array; val: EvalSet },
  seed: number,
  options: FitOptions = {},
): Promise<EnsembleFit> {
  const { perDirection = true, hubness = false, search = 'heldout', members = MEMBERS, margin = 1e-9, splits = HELD_OUT_SPLITS } = options;
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
  const how: SearchOptions = { perDirection, margin, members, da, splits };
  const scores = await aloneScores(rows, wval, da, members);
  const { single } = scores;
  const { w, best, by: weighing = { a2b: search as Search, b2a: search as Search } } =
    search === 'heldout' ? await heldOutWeights(rows, wval, da, db, seed, how, scores) : await chooseWeights(search, rows, wval, how, scores);
  const weighted: EnsembleConfig = { ...ensemble, weights: w.a2b, ...(sameWeights(w.a2b, w.b2a) ? {} : { weightsB2a: w.b2a }) };
  // The val score reported is the served graphs' own (what search and export see).
  if (!hubness) return { ensemble: weighted, tensors, single, valScore: micro(wval, da, best), weighing };
  const hub = await fitHubness({ ...base, ensemble: weighted }, tensors, pair, keep, wval, seed);
  return { ensemble: hub.ensemble, tensors: hub.tensors, single, valScore: hub.valScore, weighing };
}

type Alone = Record<MemberName, Record<Direction, number>>;
type Rows = Partial<Record<MemberName, MemberRows>>;
const DIRECTIONS = ['a2b', 'b2a'] as const;
type Search = Exclude<FitOptions['search'], undefined | 'heldout'>;
interface SearchOptions {
  perDirection: boolean;
  splits: number;
  margin: number;
  members: readonly MemberName[];
  da: number;
}
interface Chosen {
  w: Record<Direction, Weights>;
  best: Record<Direction, number>;
  /** The search that chose each direction's weights. */
  by?: Record<Direction, Search>;
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
  return search === 'topk' ? topEqualWeights(rows, alone, set, o.members) : ascentWeights(rows, alone, single, set, o.da, o.perDirection, o.members, o.margin);
}

/** The searches 'heldout' chooses between, in order of preference on a tie. */
export const HELD_OUT_SEARCHES: readonly Search[] = ['ascent', 'equal'];
/** Random halvings of val the searches are compared on (each half fits, the other scores). */
export const HELD_OUT_SPLITS = 3;
/** Fewest val media items in each half for 'heldout' to compare searches (else it is the ascent). */
export const HELD_OUT_MIN_ITEMS = 20;

/**
 * Per direction, the search (HELD_OUT_SEARCHES) whose weights, chosen on one half of val, recall
 * best on the other half (both ways round, over o.splits random halvings); that search then chooses
 * the weights on all of val. With few training pairs the ascent fits val's noise and equal weights
 * generalise better; with more, the ascent's gains hold on the other half
 * (bench/results/ensemble-small-ab.jsonl).
 */
async function heldOutWeights(rows: Rows, wval: EvalSet, da: number, db: number, seed: number, o: SearchOptions, scores: AloneScores): Promise<Chosen> {
  const n = wval.aVecs.length / da;
  if (n < 2 * HELD_OUT_MIN_ITEMS) return { ...(await chooseWeights('ascent', rows, wval, o, scores)), by: { a2b: 'ascent', b2a: 'ascent' } };
  const held = Object.fromEntries(HELD_OUT_SEARCHES.map((s) => [s, { a2b: 0, b2a: 0 }])) as Record<Search, Record<Direction, number>>;
  for (let split = 0; split < o.splits; split++) {
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

/** Per direction, the best on val of: the k members best alone, each weighted 1 (k = 1 .. all). */
async function topEqualWeights(rows: Rows, alone: Alone, wval: EvalSet, members: readonly MemberName[]): Promise<{ w: Record<Direction, Weights>; best: Record<Direction, number> }> {
  const ranked = (d: Direction) => [...members].sort((x, y) => alone[y][d] - alone[x][d]);
  const order = { a2b: ranked('a2b'), b2a: ranked('b2a') };
  const top = (d: Direction, k: number): Weights => ({ ...NO_MEMBERS, ...Object.fromEntries(order[d].slice(0, k).map((m) => [m, 1])) });
  const w = { a2b: top('a2b', 1), b2a: top('b2a', 1) };
  const best = { a2b: alone[order.a2b[0]!].a2b, b2a: alone[order.b2a[0]!].b2a };
  for (let k = 2; k <= members.length; k++) {
    // Both directions are scored in one call; each keeps its own best k.
    const s = await comboScore(rows, top('a2b', k), top('b2a', k), wval);
    for (const d of DIRECTIONS) {
      if (s[d] > best[d] + 1e-9) {
        best[d] = s[d];
        w[d] = top(d, k);
      }
    }
  }
  return { w, best };
}

/** Every member weighted 1, both directions. */
async function equalWeights(rows: Rows, wval: EvalSet, members: readonly MemberName[]): Promise<{ w: Record<Direction, Weights>; best: Record<Direction, number> }> {
  const all: Weights = { ...NO_MEMBERS, ...Object.fromEntries(members.map((m) => [m, 1])) };
  return { w: { a2b: all, b2a: all }, best: await comboScore(rows, all, all, wval) };
}

/**
 * Coordinate ascent for both directions at once (two passes over WEIGHT_GRID, starting from the
 * best single member): each trial changes the same member's weight in each direction's current
 * best, and each direction keeps its own improvements.
 */
async function ascentWeights(rows: Rows, alone: Alone, single: Record<MemberName, number>, wval: EvalSet, da: number, perDirection: boolean, members: readonly MemberName[], margin: number): Promise<{ w: Record<Direction, Weights>; best: Record<Direction, number> }> {
  const zero: Weights = { ...NO_MEMBERS };
  const start = (d: Direction): Weights => ({ ...zero, [members.reduce((x, m) => (alone[m][d] > alone[x][d] ? m : x))]: 1 });
  const first = members.reduce((x, m) => (single[m] > single[x] ? m : x));
  const w: Record<Direction, Weights> = perDirection ? { a2b: start('a2b'), b2a: start('b2a') } : { a2b: { ...zero, [first]: 1 }, b2a: { ...zero, [first]: 1 } };
  const best: Record<Direction, number> = perDirection ? { a2b: Math.max(...members.map((m) => alone[m].a2b)), b2a: Math.max(...members.map((m) => alone[m].b2a)) } : { ...alone[first] };
  const valid = (x: Weights) => members.some((m) => x[m] > 0);
  for (let pass = 0; pass < 2; pass++) {
    for (const m of members) {
      for (const v of WEIGHT_GRID) {
        const trial = { a2b: { ...w.a2b, [m]: v }, b2a: { ...w.b2a, [m]: v } };
        if (!valid(trial.a2b) || !valid(trial.b2a)) continue;
        const s = await comboScore(rows, trial.a2b, trial.b2a, wval);
        if (!perDirection) {
          const both = micro(wval, da, s);
          if (both > micro(wval, da, best) + 100 * margin) [best.a2b, best.b2a, w.a2b, w.b2a] = [s.a2b, s.b2a, trial.a2b, trial.b2a];
          continue;
        }
        for (const d of DIRECTIONS) {
          if (s[d] > best[d] + margin) {
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

/** Rows of the training queries kept as the hubness bank (memory: rows x served width per direction). */
export const HUB_BANK = 1024;
export const HUB_K = 10;
export const HUB_BETAS = [0.25, 0.5, 0.75, 1];

/**
 * The hubness correction (CSLS) on top of the chosen weights: the bank holds the served (unit) query
 * vectors of up to HUB_BANK training rows per direction; beta is chosen per direction on val, and
 * 0 (off) stays a candidate, so the correction is only kept where it helps on val.
 */
async function fitHubness(
  weighted: Served,
  tensors: Record<string, Float32Array>,
  pair: { a: string; b: string; trainA: Float32Array; trainB: Float32Array },
  keep: number[],
  wval: EvalSet,
  seed: number,
): Promise<{ ensemble: EnsembleConfig; tensors: Record<string, Float32Array>; valScore: number }> {
  const { a, b } = pair;
  const [da, db] = [dims(weighted)[a]!, dims(weighted)[b]!];
  const rows = Array.from(permutation(keep.length, mulberry32(seed + 7)).slice(0, Math.min(keep.length, HUB_BANK)), (i) => keep[i]!).sort((x, y) => x - y);
  const pick = (x: Float32Array, d: number): Float32Array => {
    const out = new Float32Array(rows.length * d);
    rows.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
    return out;
  };
  const bankA2b = await mapOnce(queryMapper(weighted, a, b), pick(pair.trainA, da));
  const bankB2a = await mapOnce(queryMapper(weighted, b, a), pick(pair.trainB, db));
  const withBank = { ...tensors, 'hub.a2b': normalizeRows(bankA2b, bankA2b.length / rows.length), 'hub.b2a': normalizeRows(bankB2a, bankB2a.length / rows.length) };
  const values = new Map([...weighted.values, ...ensembleValues(withBank)]);
  const off = await evaluateServed(weighted, wval);
  const bestOf = { a2b: { beta: 0, r: meanRecall(off.forward) }, b2a: { beta: 0, r: meanRecall(off.backward) } };
  for (const beta of HUB_BETAS) {
    const hub = { a2b: { beta, k: HUB_K, bank: rows.length }, b2a: { beta, k: HUB_K, bank: rows.length } };
    const r = await evaluateServed({ ...weighted, values, ensemble: { ...weighted.ensemble, hub } }, wval);
    if (meanRecall(r.forward) > bestOf.a2b.r + 1e-9) bestOf.a2b = { beta, r: meanRecall(r.forward) };
    if (meanRecall(r.backward) > bestOf.b2a.r + 1e-9) bestOf.b2a = { beta, r: meanRecall(r.backward) };
  }
  const hub: Partial<Record<Direction, { beta: number; k: number; bank: number }>> = {};
  const kept: Record<string, Float32Array> = { ...tensors };
  for (const d of ['a2b', 'b2a'] as const) {
    if (bestOf[d].beta === 0) continue;
    hub[d] = { beta: bestOf[d].beta, k: HUB_K, bank: rows.length };
    kept[`hub.${d}`] = withBank[`hub.${d}`];
  }
  const ensemble = Object.keys(hub).length > 0 ? { ...weighted.ensemble, hub } : weighted.ensemble;
  return { ensemble, tensors: kept, valScore: micro(wval, da, { a2b: bestOf.a2b.r, b2a: bestOf.b2a.r }) };
}
