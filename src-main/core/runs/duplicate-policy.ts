// A pair's data with the run's duplicates policy applied: the straddling groups among its media
// (duplicates in train and in val or test) found, then left as they are (warn), their training
// copies dropped, or those copies merged into the held-out split. Training, evaluation and resume
// all go through here, so they see the same splits.
import type { Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { joinSplits, pickMedia, type PairData } from './pair-data.ts';
import { findStraddles, type DuplicatePolicy } from '../duplicates/straddle.ts';

export async function withDuplicatePolicy(catalog: Catalog, d: PairData, policy: DuplicatePolicy): Promise<PairData> {
  const order: Split[] = ['train', 'val', 'test'];
  // Data loaded without item ids (older callers) cannot be checked: leave it as it is.
  if (order.some((s) => !d.splits[s].ids)) return d;
  const media = order.flatMap((split) => Array.from(d.splits[split].ids!, (id) => ({ id, split })));
  const vectors = new Float32Array(media.length * d.aDim);
  let at = 0;
  for (const s of order) {
    vectors.set(d.splits[s].aVecs, at);
    at += d.splits[s].aVecs.length;
  }
  const { report, moves } = await findStraddles(catalog, d.a, media, vectors, d.aDim);
  const out: PairData = { ...d, duplicates: { policy, ...report } };
  if (policy === 'warn' || moves.size === 0) return out;
  const train = d.splits.train;
  const rows = (keep: (id: number) => boolean): number[] => Array.from(train.ids!, (id, i) => (keep(id) ? i : -1)).filter((i) => i >= 0);
  const splits = { ...d.splits, train: pickMedia(train, d.aDim, d.bDim, rows((id) => !moves.has(id))) };
  if (policy === 'merge') {
    for (const to of ['val', 'test'] as const) {
      const moved = rows((id) => moves.get(id) === to);
      if (moved.length > 0) splits[to] = joinSplits(d.splits[to], pickMedia(train, d.aDim, d.bDim, moved), d.aDim);
    }
  }
  return { ...out, splits };
}
