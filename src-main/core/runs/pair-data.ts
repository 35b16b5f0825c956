// Loads a modality pair's stored vectors from the catalog and splits them for training and
// evaluation: media items with all their captions stay in one split (no caption of a test image is
// ever trained on).
import { sharedJointSpace } from '../encoders/joint-space.ts';
import { UserError } from '../util/errors.ts';
import type { Modality, Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { deriveSeed, mulberry32, permutation } from '../util/rng.ts';
import type { StraddleReport } from '../duplicates/straddle.ts';
import type { EvalSet } from '../model/eval-set.ts';

export interface SplitData {
  /** Media vectors [items, dA] and caption vectors [captions, dB]; owner[j] = media row of caption j. */
  aVecs: Float32Array;
  bVecs: Float32Array;
  owner: Int32Array;
  /** The catalog item id of each media row (what duplicate checks look up). */
  ids?: Int32Array;
}

export interface PairData {
  a: Modality;
  b: Modality;
  aDim: number;
  bDim: number;
  encoders: { a: { name: string; hash: string }; b: { name: string; hash: string } };
  splits: Record<Split, SplitData>;
  /** Pairs skipped because a side has no current vector. */
  skipped: number;
  /** The joint space both encoders share when they are towers of one contrastive model (encoders/joint-space.ts). */
  joint?: string;
  /** True when no pair had the val split and validation items were drawn from train. */
  valFromTrain: boolean;
  /** Media duplicates across train and the held-out splits, and what was done about them (see runs/duplicate-policy.ts). */
  duplicates?: StraddleReport;
  /** Raw vectors of items of a and of b that take no part in any pair the run uses (runs/unpaired.ts). */
  unpaired?: { a: Float32Array; b: Float32Array };
}

export class ConnectorDataError extends UserError {}

/**
 * Pairs (a, b) of the given datasets (default: all) whose both sides have a vector of the chosen
 * encoders. Unassigned pairs train; without any val split, a deterministic 10% of the training
 * media items (with their captions) validate.
 */
export function loadPairData(catalog: Catalog, opts: { a: Modality; b: Modality; encoders: Partial<Record<Modality, string>>; datasets?: string[] }): PairData {
  const enc = (m: Modality) => {
    const name = opts.encoders[m] ?? soleEncoder(catalog, m);
    const row = catalog.encoders.get(name);
    if (!row) throw new ConnectorDataError(`no encoder named "${name}"`);
    if (row.modality !== m) throw new ConnectorDataError(`encoder "${name}" encodes ${row.modality}, not ${m}`);
    return row;
  };
  const ea = enc(opts.a);
  const eb = enc(opts.b);
  const joint = sharedJointSpace(ea, eb);
  const datasets = (opts.datasets ?? catalog.datasets.list().map((d) => d.name)).map((name) => {
    const d = catalog.datasets.get(name);
    if (!d) throw new ConnectorDataError(`no dataset named "${name}"`);
    return d;
  });

  type Media = { vec: Buffer; captions: Buffer[]; split: Split | null; id: number };
  const media = new Map<number, Media>();
  let skipped = 0;
  for (const d of datasets) {
    const av = new Map<number, Buffer>();
    for (const r of catalog.embeddings.iterateDataset(ea.id, d.id)) av.set(r.itemId, r.vector);
    const bv = new Map<number, Buffer>();
    for (const r of catalog.embeddings.iterateDataset(eb.id, d.id)) bv.set(r.itemId, r.vector);
    for (const p of catalog.pairs.between(d.id, opts.a, opts.b)) {
      const va = av.get(p.a);
      const vb = bv.get(p.b);
      if (!va || !vb) {
        skipped++;
        continue;
      }
      let m = media.get(p.a);
      if (!m) media.set(p.a, (m = { vec: va, captions: [], split: p.split, id: p.a }));
      m.captions.push(vb);
    }
  }
  if (media.size === 0) {
    throw new ConnectorDataError(
      `no ${opts.a}-${opts.b} pairs with vectors of encoders "${ea.name}" and "${eb.name}"${skipped ? ` (${skipped} pairs lack a vector: embed them first)` : ''}`,
    );
  }
  const hasVal = [...media.values()].some((m) => m.split === 'val');
  // Without a val split, a deterministic 10% of the training items validate (at least one, so a
  // small set can still choose its model).
  const drawn = new Set<number>();
  if (!hasVal) {
    const open = [...media.values()].filter((m) => m.split !== 'test').sort((x, y) => deriveSeed(x.id, 17) - deriveSeed(y.id, 17));
    for (const m of open) if (deriveSeed(m.id, 17) % 10 === 0) drawn.add(m.id);
    if (drawn.size === 0 && open.length >= 2) drawn.add(open[0]!.id);
  }
  const splitOf = (m: Media): Split => {
    if (m.split === 'val' || m.split === 'test') return m.split;
    return drawn.has(m.id) ? 'val' : 'train';
  };
  const groups: Record<Split, Media[]> = { train: [], val: [], test: [] };
  for (const m of media.values()) groups[splitOf(m)].push(m);
  if (groups.train.length === 0) throw new ConnectorDataError(`no training pairs for ${opts.a}-${opts.b}`);
  const pack = (list: Media[]): SplitData => {
    const nCaps = list.reduce((n, m) => n + m.captions.length, 0);
    const aVecs = new Float32Array(list.length * ea.dim);
    const bVecs = new Float32Array(nCaps * eb.dim);
    const owner = new Int32Array(nCaps);
    let j = 0;
    list.forEach((m, i) => {
      aVecs.set(asFloats(m.vec), i * ea.dim);
      for (const c of m.captions) {
        bVecs.set(asFloats(c), j * eb.dim);
        owner[j++] = i;
      }
    });
    return { aVecs, bVecs, owner, ids: Int32Array.from(list, (m) => m.id) };
  };
  return {
    a: opts.a,
    b: opts.b,
    aDim: ea.dim,
    bDim: eb.dim,
    encoders: { a: { name: ea.name, hash: ea.file_hash }, b: { name: eb.name, hash: eb.file_hash } },
    splits: { train: pack(groups.train), val: pack(groups.val), test: pack(groups.test) },
    skipped,
    valFromTrain: !hasVal,
    ...(joint ? { joint } : {}),
  };
}

function asFloats(b: Buffer): Float32Array {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

function soleEncoder(catalog: Catalog, m: Modality): string {
  const list = catalog.encoders.list().filter((e) => e.modality === m);
  if (list.length === 1) return list[0]!.name;
  if (list.length === 0) throw new ConnectorDataError(`no ${m} encoder in the catalog: import or compute ${m} vectors first`);
  throw new ConnectorDataError(`several ${m} encoders (${list.map((e) => e.name).join(', ')}): choose one with --encoders ${m}=NAME`);
}

/** One training row per caption: its media vector and its own vector. */
/** One split of a pair as evaluation takes it (model/eval-set.ts). */
export function evalSetOf(d: PairData, split: 'train' | 'val' | 'test'): EvalSet {
  const s = d.splits[split];
  return { a: d.a, b: d.b, aVecs: s.aVecs, bVecs: s.bVecs, owner: s.owner };
}

export function trainingRows(s: SplitData, aDim: number): { a: Float32Array; b: Float32Array } {
  const a = new Float32Array(s.owner.length * aDim);
  s.owner.forEach((i, j) => a.set(s.aVecs.subarray(i * aDim, (i + 1) * aDim), j * aDim));
  return { a, b: s.bVecs };
}

/** Pick rows of a split: the given media items (in order) with all their captions. */
export function pickMedia(s: SplitData, aDim: number, bDim: number, media: readonly number[]): SplitData {
  const byMedia: number[][] = Array.from({ length: s.aVecs.length / aDim }, () => []);
  s.owner.forEach((m, j) => byMedia[m]!.push(j));
  const caps = media.flatMap((m) => byMedia[m]!);
  const aVecs = new Float32Array(media.length * aDim);
  media.forEach((m, i) => aVecs.set(s.aVecs.subarray(m * aDim, (m + 1) * aDim), i * aDim));
  const bVecs = new Float32Array(caps.length * bDim);
  const owner = new Int32Array(caps.length);
  let j = 0;
  media.forEach((m, i) => {
    for (const c of byMedia[m]!) {
      bVecs.set(s.bVecs.subarray(c * bDim, (c + 1) * bDim), j * bDim);
      owner[j++] = i;
    }
  });
  return { aVecs, bVecs, owner, ...(s.ids ? { ids: Int32Array.from(media, (m) => s.ids![m]!) } : {}) };
}

/** Two splits' media (each with all its captions) as one split, a's rows first. */
export function joinSplits(a: SplitData, b: SplitData, aDim: number): SplitData {
  const na = a.aVecs.length / aDim;
  const aVecs = new Float32Array(a.aVecs.length + b.aVecs.length);
  aVecs.set(a.aVecs);
  aVecs.set(b.aVecs, a.aVecs.length);
  const bVecs = new Float32Array(a.bVecs.length + b.bVecs.length);
  bVecs.set(a.bVecs);
  bVecs.set(b.bVecs, a.bVecs.length);
  const owner = new Int32Array(a.owner.length + b.owner.length);
  owner.set(a.owner);
  b.owner.forEach((m, j) => (owner[a.owner.length + j] = m + na));
  return { aVecs, bVecs, owner, ...(a.ids && b.ids ? { ids: Int32Array.from([...a.ids, ...b.ids]) } : {}) };
}

/**
 * The training split cut to at most `pairs` caption pairs: media items drawn in a seeded random
 * order, each with all its captions (validation and test stay whole, so sizes compare).
 */
export function limitTraining(d: PairData, pairs: number | undefined, seed: number): PairData {
  const t = d.splits.train;
  if (pairs === undefined || t.owner.length <= pairs) return d;
  const counts = new Int32Array(t.aVecs.length / d.aDim);
  for (const m of t.owner) counts[m]!++;
  const order = permutation(counts.length, mulberry32(deriveSeed(seed, 29)));
  const picked: number[] = [];
  let total = 0;
  for (const m of order) {
    if (total + counts[m]! > pairs) continue;
    picked.push(m);
    total += counts[m]!;
    if (total === pairs) break;
  }
  if (picked.length === 0) throw new ConnectorDataError(`${pairs} training pairs is fewer than one media item's captions`);
  return { ...d, splits: { ...d.splits, train: pickMedia(t, d.aDim, d.bDim, picked) } };
}

/** Minimum pairs in the training and validation splits: fewer cannot choose a model. */
export const MIN_TRAIN_PAIRS = 4;
export const MIN_VAL_PAIRS = 2;

/** A run needs training and validation pairs: say so before anything is written. */
export function requireSplits(d: PairData): void {
  const train = d.splits.train.owner.length;
  const val = d.splits.val.owner.length;
  if (train < MIN_TRAIN_PAIRS) throw new ConnectorDataError(`${d.a}-${d.b} has ${train} training pairs; at least ${MIN_TRAIN_PAIRS} are needed`);
  if (val < MIN_VAL_PAIRS) throw new ConnectorDataError(`${d.a}-${d.b} has ${val} validation pairs; at least ${MIN_VAL_PAIRS} are needed to choose a model (mark some pairs "val", or leave splits out and 10% of the training items validate)`);
}
