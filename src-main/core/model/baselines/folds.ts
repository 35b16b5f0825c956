// Where a baseline's candidate settings are scored. Always on the val pairs, with the baseline fitted
// on every training pair. On a small val split (model/small-val.ts) also on SCORED_FOLDS of
// TUNING_FOLDS held-out folds of the training pairs, each with the baseline fitted on the other
// folds, so that a setting is chosen on several hundred queries instead of a few dozen. A fold fits
// on fewer pairs than the served baseline will (4/5 of them), a small bias next to the noise of
// choosing on 70 val pairs; scoring 3 of the 5 folds keeps 60% of the training pairs as queries
// for 60% of the time.
import type { EvalSet } from '../eval-set.ts';
import { FEW_VAL_ITEMS } from '../small-val.ts';
import { mulberry32, permutation } from '../../util/rng.ts';
import { pca, pcaWithin, type Pca } from './pca.ts';

export interface PairTrain {
  /** Standardised training rows, one per caption: media vector (a) and caption vector (b). */
  a: Float32Array;
  b: Float32Array;
  dims: { a: number; b: number };
}

/** Rows a setting is fitted on, their principal components, and the pairs it is scored on. */
export interface ScoringSet {
  train: PairTrain;
  pa: Pca;
  pb: Pca;
  set: EvalSet;
}

export const TUNING_FOLDS = 5;
export const SCORED_FOLDS = 3;
/** Fewer training media items than this per fold and no folds are made. */
const MIN_FOLD_ITEMS = 5;

/** The val pairs with the full training rows first, then (on a small val split) the folds. */
export async function scoringSets(train: PairTrain, val: EvalSet): Promise<ScoringSet[]> {
  const { a: da, b: db } = train.dims;
  const [pa, pb] = [await pca(train.a, da), await pca(train.b, db)];
  const sets: ScoringSet[] = [{ train, pa, pb, set: val }];
  if (val.aVecs.length / da >= FEW_VAL_ITEMS) return sets;
  for (const { fit, fitRows, held } of trainingFolds(train, val, TUNING_FOLDS, SCORED_FOLDS)) sets.push({ train: fit, pa: await pcaWithin(pa, fitRows), pb: await pcaWithin(pb, fitRows), set: held });
  return sets;
}

/**
 * The training rows split into `k` folds by media item: rows with the same media vector (one item's
 * captions, or a duplicate) are one item and stay in one fold, so no held-out caption's own media is
 * among the rows it is scored against. Items go to folds in a fixed seeded order; the first `scored`
 * folds are returned.
 */
export function trainingFolds(train: PairTrain, val: Pick<EvalSet, 'a' | 'b'>, k: number, scored = k): { fit: PairTrain; fitRows: number[]; held: EvalSet }[] {
  const { a: da, b: db } = train.dims;
  const rows = train.a.length / da;
  const itemOf = new Int32Array(rows);
  const firstRow: number[] = [];
  const seen = new Map<string, number>();
  for (let r = 0; r < rows; r++) {
    const key = Buffer.from(train.a.buffer, train.a.byteOffset + r * da * 4, da * 4).toString('base64');
    let item = seen.get(key);
    if (item === undefined) seen.set(key, (item = firstRow.push(r) - 1));
    itemOf[r] = item;
  }
  const items = firstRow.length;
  if (items < k * MIN_FOLD_ITEMS) return [];
  const foldOf = new Int32Array(items);
  permutation(items, mulberry32(items)).forEach((item, i) => (foldOf[item] = i % k));
  return Array.from({ length: Math.min(scored, k) }, (_, f) => {
    const fitRows: number[] = [];
    const heldRows: number[] = [];
    for (let r = 0; r < rows; r++) (foldOf[itemOf[r]!] === f ? heldRows : fitRows).push(r);
    const heldItems = [...new Set(heldRows.map((r) => itemOf[r]!))];
    const position = new Map(heldItems.map((item, i) => [item, i]));
    return {
      fit: { a: pickRows(train.a, da, fitRows), b: pickRows(train.b, db, fitRows), dims: train.dims },
      fitRows,
      held: {
        a: val.a,
        b: val.b,
        aVecs: pickRows(train.a, da, heldItems.map((item) => firstRow[item]!)),
        bVecs: pickRows(train.b, db, heldRows),
        owner: Int32Array.from(heldRows, (r) => position.get(itemOf[r]!)!),
      },
    };
  });
}

function pickRows(x: Float32Array, d: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

/** Adds each candidate's score on one set, weighted by the set's queries. */
export function addScores(total: Float64Array, scores: readonly number[], queries: number): void {
  scores.forEach((s, i) => (total[i] = total[i]! + s * queries));
}

/** The first candidate with the highest total. */
export function argmax(total: Float64Array): number {
  let best = 0;
  for (let i = 1; i < total.length; i++) if (total[i]! > total[best]!) best = i;
  return best;
}
