// Duplicates in the catalog: exact ones (the same content hash: identical file bytes or caption
// text) and near ones (an encoder's vectors at or above a cosine threshold), grouped, with the
// user's "not a duplicate" marks applied and each group's splits, so groups that straddle train
// and a held-out split (and inflate its recall) stand out.
import type { Modality, Split } from '../../../src-shared/types.ts';
import { MODALITIES } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { EncoderRow } from '../catalog/repos/encoders.ts';
import { UserError } from '../util/errors.ts';
import { encoderRows } from '../catalog/encoder-rows.ts';
import { groupLinks, type Group, type Link } from './groups.ts';
import { nearLinks } from './near.ts';

/**
 * Default cosine threshold for near duplicates, chosen on real data by bench:map's threshold study
 * (duplicate-threshold.ts): 398 openclipart drawings and edited copies of them (resized, JPEG q40,
 * cropped, padded) through the MobileNetV2 image encoder. It is the lowest threshold at which at
 * most 1 in 10,000 pairs of visibly different drawings is linked; bench/results/map.json holds the
 * copies it finds at that point and the whole curve.
 */
export const DEFAULT_THRESHOLD = 0.969;

export class DuplicatesError extends UserError {}

export interface DuplicateOptions {
  /** Near duplicates by this encoder's vectors (default: per modality, the encoder with the most vectors). */
  encoder?: string;
  /** Only this modality (default: every modality with items; the encoder's when one is given). */
  modality?: Modality;
  threshold?: number;
  /** Content hashes only, no vectors. */
  exactOnly?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface DuplicateGroupRaw extends Group {
  modality: Modality;
}

export interface DuplicateScan {
  threshold: number;
  /** Per modality searched: the encoder whose vectors found near duplicates (null: exact only) and how many items. */
  searched: { modality: Modality; encoder: string | null; items: number }[];
  groups: DuplicateGroupRaw[];
}

/** Checks a user's threshold: a cosine in (0, 1]. */
export function checkThreshold(t: number | undefined): number {
  const threshold = t ?? DEFAULT_THRESHOLD;
  if (!Number.isFinite(threshold) || threshold <= 0 || threshold > 1) throw new DuplicatesError(`the threshold must be a cosine similarity above 0 and at most 1, not ${t}`);
  return threshold;
}

function encoderFor(catalog: Catalog, modality: Modality): EncoderRow | undefined {
  return catalog.encoders
    .list()
    .filter((e) => e.modality === modality)
    .map((e) => ({ e, n: catalog.embeddings.count(e.id) }))
    .filter((x) => x.n > 0)
    .sort((x, y) => y.n - x.n || x.e.id - y.e.id)[0]?.e;
}

/** Exact links (same content hash) among items of a modality, optionally only between `only`. */
export function exactLinks(catalog: Catalog, modality: Modality, only?: ReadonlySet<number>): Link[] {
  const links: Link[] = [];
  for (const set of catalog.items.sameContent(modality)) {
    const ids = only ? set.filter((id) => only.has(id)) : set;
    // A chain through the first member connects the set; groupLinks makes it one group.
    for (let i = 1; i < ids.length; i++) links.push({ a: ids[0]!, b: ids[i]!, sim: 1, exact: true });
  }
  return links;
}

/** Near links among the given rows, as item ids. */
export async function vectorLinks(ids: Int32Array, unit: Float32Array, dim: number, threshold: number, onProgress?: (done: number, total: number) => void): Promise<Link[]> {
  return (await nearLinks(unit, dim, threshold, onProgress ? { onProgress } : {})).map((l) => ({ a: ids[l.a]!, b: ids[l.b]!, sim: l.sim, exact: false }));
}

export async function scanDuplicates(catalog: Catalog, o: DuplicateOptions = {}): Promise<DuplicateScan> {
  const threshold = checkThreshold(o.threshold);
  let encoder: EncoderRow | undefined;
  if (o.encoder !== undefined) {
    encoder = catalog.encoders.get(o.encoder);
    if (!encoder) throw new DuplicatesError(`no encoder named "${o.encoder}" (see "altmoe list encoders")`);
    if (o.modality && o.modality !== encoder.modality) throw new DuplicatesError(`encoder "${encoder.name}" encodes ${encoder.modality}, not ${o.modality}`);
    if (o.exactOnly) throw new DuplicatesError('choose an encoder or exact-only, not both');
  }
  const modalities = encoder ? [encoder.modality] : o.modality ? [o.modality] : MODALITIES.filter((m) => catalog.datasets.list().some((d) => (catalog.items.counts(d.id)[m] ?? 0) > 0));
  const marks = catalog.duplicateMarks.all();
  const out: DuplicateScan = { threshold, searched: [], groups: [] };
  for (const modality of modalities) {
    const links = exactLinks(catalog, modality);
    const e = o.exactOnly ? undefined : (encoder ?? encoderFor(catalog, modality));
    let items = 0;
    if (e) {
      const rows = await encoderRows(catalog, e);
      items = rows.ids.length;
      links.push(...(await vectorLinks(rows.ids, rows.unit, e.dim, threshold, o.onProgress)));
    }
    out.searched.push({ modality, encoder: e?.name ?? null, items });
    out.groups.push(...groupLinks(links, marks).map((g) => ({ ...g, modality })));
  }
  out.groups.sort((x, y) => y.members.length - x.members.length || x.representative - y.representative);
  return out;
}

/** The splits a group's members are in ('unassigned' pairs train). */
export function groupSplits(catalog: Catalog, members: readonly number[]): Map<number, (Split | 'unassigned')[]> {
  return new Map(members.map((id) => [id, catalog.pairs.splitsOf(id).map((s) => s ?? 'unassigned')]));
}

/** Whether some member trains (train or unassigned) while another is held out (val or test). */
export function straddles(splits: Iterable<(Split | 'unassigned')[]>): boolean {
  let trains = false;
  let held = false;
  for (const s of splits) {
    if (s.includes('train') || s.includes('unassigned')) trains = true;
    if (s.includes('val') || s.includes('test')) held = true;
  }
  return trains && held;
}
