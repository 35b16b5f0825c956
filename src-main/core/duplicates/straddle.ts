// Duplicates across the split a connector trains on and the splits it is chosen and scored on: a
// test image whose copy was trained on inflates test recall. Training and evaluation look for them
// among the pair's media items and warn, or on request drop the training copies or merge them into
// the held-out split.
import type { Modality, Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { normalizeRows } from '../index/exact.ts';
import { DEFAULT_THRESHOLD, exactLinks, vectorLinks } from './find.ts';
import { groupLinks } from './groups.ts';

export const DUPLICATE_POLICIES = ['warn', 'drop', 'merge'] as const;
export type DuplicatePolicy = (typeof DUPLICATE_POLICIES)[number];

export interface StraddleReport {
  policy: DuplicatePolicy;
  /** Duplicate groups with members both in train and in val or test. */
  groups: number;
  /** Their training members (what drop leaves out and merge moves). */
  trainItems: number;
  /** Their held-out members, per split. */
  heldOut: { val: number; test: number };
}

export interface SplitMedia {
  id: number;
  split: Split;
}

/**
 * Straddling groups among media items (vectors: n x dim raw, in `media` order) and the split each
 * training member moves to under `merge` (the held-out split of its group; test before val).
 */
export async function findStraddles(catalog: Catalog, modality: Modality, media: readonly SplitMedia[], vectors: Float32Array, dim: number, threshold = DEFAULT_THRESHOLD): Promise<{ report: Omit<StraddleReport, 'policy'>; moves: Map<number, Split> }> {
  const ids = Int32Array.from(media, (m) => m.id);
  const splitOf = new Map(media.map((m) => [m.id, m.split]));
  const links = [...exactLinks(catalog, modality, new Set(ids)), ...(await vectorLinks(ids, normalizeRows(vectors, dim), dim, threshold))];
  const moves = new Map<number, Split>();
  const report = { groups: 0, trainItems: 0, heldOut: { val: 0, test: 0 } };
  for (const g of groupLinks(links, catalog.duplicateMarks.all())) {
    const train = g.members.filter((id) => splitOf.get(id) === 'train');
    const test = g.members.filter((id) => splitOf.get(id) === 'test');
    const val = g.members.filter((id) => splitOf.get(id) === 'val');
    if (train.length === 0 || test.length + val.length === 0) continue;
    report.groups++;
    report.trainItems += train.length;
    report.heldOut.test += test.length;
    report.heldOut.val += val.length;
    for (const id of train) moves.set(id, test.length > 0 ? 'test' : 'val');
  }
  return { report, moves };
}

/** The warning training and evaluation show, or null when nothing straddles. */
export function straddleWarning(r: StraddleReport, pair: string): string | null {
  if (r.groups === 0) return null;
  const held = [r.heldOut.test ? `${r.heldOut.test} test` : '', r.heldOut.val ? `${r.heldOut.val} val` : ''].filter(Boolean).join(' and ');
  const what = `${r.groups} duplicate group(s) of ${pair} straddle train and held-out splits (${r.trainItems} training item(s) duplicate ${held} item(s))`;
  if (r.policy === 'drop') return `${what}: their training copies were left out of training`;
  if (r.policy === 'merge') return `${what}: their training copies were moved to the held-out split`;
  return `${what}: held-out recall may be inflated; see "altmoe duplicates", or train with --duplicates drop (or merge)`;
}
