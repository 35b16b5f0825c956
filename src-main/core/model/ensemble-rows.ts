// Each ensemble member's rows on a val set, computed once, and the score of a weighted combination
// of them: what every weight search evaluates.
import { normalizeRows } from '../index/exact.ts';
import { meanRecall } from './baselines/recall.ts';
import { MEMBERS, NO_MEMBERS, servedDim, type Direction, type EnsembleConfig, type MemberName } from './ensemble.ts';
import type { EvalSet } from './eval-set.ts';
import { crossModalRecall, type Recall } from './retrieval.ts';
import { dims, galleryMapper, mapOnce, queryMapper, Served } from './served.ts';

/** One member's unit query and gallery rows on val, both directions. */
export interface MemberRows {
  qa: Float32Array;
  gb: Float32Array;
  dab: number;
  qb: Float32Array;
  ga: Float32Array;
  dba: number;
}

/** Rows i of x [n, d]. */
export function pickRows(x: Float32Array, d: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

/** A member's rows restricted to some media items and their captions (no graph runs again). */
export function sliceRows(r: MemberRows, media: readonly number[], caps: readonly number[]): MemberRows {
  return { qa: pickRows(r.qa, r.dab, media), gb: pickRows(r.gb, r.dab, caps), dab: r.dab, qb: pickRows(r.qb, r.dba, caps), ga: pickRows(r.ga, r.dba, media), dba: r.dba };
}

export async function memberRows(base: Served, e: EnsembleConfig, m: MemberName, set: EvalSet): Promise<MemberRows> {
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
export function sideBySide(blocks: { x: Float32Array; d: number; scale: number }[]): { x: Float32Array; d: number } {
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

export type Weights = Record<MemberName, number>;

/**
 * Val recall of weights wab (a -> b) and wba (b -> a): each member's unit rows side by side, scaled
 * by sqrt(w), so a dot product is the weighted sum of the members' cosines, ranked by the same
 * recall code as always. Returns each direction's score (mean recall unless `score` says otherwise;
 * the two directions are independent).
 */
export async function comboScore(members: Partial<Record<MemberName, MemberRows>>, wab: Weights, wba: Weights, set: EvalSet, score: (r: Recall) => number = meanRecall): Promise<Record<Direction, number>> {
  const block = (w: Weights, pick: (r: MemberRows) => [Float32Array, number]) =>
    sideBySide(MEMBERS.filter((m) => w[m] > 0 && members[m]).map((m) => ({ x: pick(members[m]!)[0], d: pick(members[m]!)[1], scale: Math.sqrt(w[m]) })));
  const qa = block(wab, (r) => [r.qa, r.dab]);
  const gb = block(wab, (r) => [r.gb, r.dab]);
  const qb = block(wba, (r) => [r.qb, r.dba]);
  const ga = block(wba, (r) => [r.ga, r.dba]);
  const result = await crossModalRecall({ mediaQueries: qa.x, captionGallery: gb.x, captionDim: gb.d, captionQueries: qb.x, mediaGallery: ga.x, mediaDim: ga.d, owner: set.owner });
  return { a2b: score(result.forward), b2a: score(result.backward) };
}

/** Both directions' mean recalls as one micro-average over the set's queries (media and captions). */
export function micro(set: EvalSet, da: number, r: Record<Direction, number>): number {
  const media = set.aVecs.length / da;
  return (100 * (r.a2b * media + r.b2a * set.owner.length)) / (media + set.owner.length);
}

export type Rows = Partial<Record<MemberName, MemberRows>>;
