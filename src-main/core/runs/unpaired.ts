// Unpaired items for a run: vectors of the pair's modalities (from the run's encoders) that take no
// part in its pairs: uncaptioned media, captions whose media has no vector, the training pairs a
// --train-pairs limit left out (their pairing is never read), other datasets of the same encoders.
// Never an item of a val or test pair. The auto preset uses them as QB-Norm's query bank.
import type { Catalog } from '../catalog/catalog.ts';
import { deriveSeed, mulberry32 } from '../util/rng.ts';
import { ConnectorDataError, type PairData } from './pair-data.ts';

/** 'auto': every dataset's unpaired items; 'none'; or the named datasets'. */
export type UnpairedChoice = 'auto' | 'none' | string[];

/** Raw vectors of modality a [na, aDim] and of b [nb, bDim]. */
export type UnpairedRows = NonNullable<PairData['unpaired']>;

/**
 * Most unpaired rows kept per modality, a seeded uniform sample (reservoir) of all of them: the bank
 * keeps at most 512 rows anyway, and 50,000 uncaptioned photos' vectors would cost a quarter GB.
 */
export const MAX_UNPAIRED = 8192;

/**
 * The unpaired rows of a pair's data. An explicit dataset that is unknown, holds no vector of the
 * run's encoders, or holds only val/test items (or only the run's own pairs) is an error, raised
 * before anything is written.
 */
export function loadUnpaired(catalog: Catalog, d: PairData, choice: UnpairedChoice, seed: number): UnpairedRows {
  const empty = { a: new Float32Array(0), b: new Float32Array(0) };
  if (choice === 'none') return empty;
  const named = choice !== 'auto';
  const datasets = (named ? choice : catalog.datasets.list().map((x) => x.name)).map((name) => {
    const row = catalog.datasets.get(name);
    if (!row) throw new ConnectorDataError(`--unpaired: no dataset named "${name}"`);
    return row;
  });
  const ea = catalog.encoders.get(d.encoders.a.name)!;
  const eb = catalog.encoders.get(d.encoders.b.name)!;
  // Held out anywhere (either side of any val/test pair), or part of this run's splits.
  const held = catalog.pairs.itemsInSplits(['val', 'test']);
  const used = new Set<number>();
  for (const s of Object.values(d.splits)) for (const id of s.ids ?? []) used.add(id);
  const rows: { a: Buffer[]; b: Buffer[] } = { a: [], b: [] };
  const seen = { a: 0, b: 0 };
  const rand = mulberry32(deriveSeed(seed, 31));
  for (const ds of datasets) {
    for (const p of catalog.pairs.between(ds.id, d.a, d.b)) if (used.has(p.a)) used.add(p.b);
    let withVectors = 0;
    let heldOut = 0;
    let kept = 0;
    for (const [side, enc] of [['a', ea], ['b', eb]] as const) {
      for (const r of catalog.embeddings.iterateDataset(enc.id, ds.id)) {
        withVectors++;
        if (held.has(r.itemId)) heldOut++;
        else if (!used.has(r.itemId)) {
          kept++;
          // Reservoir sampling: every unpaired row is equally likely to be kept.
          const at = seen[side]++;
          if (at < MAX_UNPAIRED) rows[side].push(r.vector);
          else {
            const j = Math.floor(rand() * (at + 1));
            if (j < MAX_UNPAIRED) rows[side][j] = r.vector;
          }
        }
      }
    }
    if (!named) continue;
    if (withVectors === 0) throw new ConnectorDataError(`--unpaired: dataset "${ds.name}" has no ${d.a} vectors of "${ea.name}" and no ${d.b} vectors of "${eb.name}" (embed it with the run's encoders, or leave it out)`);
    if (kept === 0 && heldOut === withVectors) throw new ConnectorDataError(`--unpaired: dataset "${ds.name}" holds only validation and test items, which never join training`);
    if (kept === 0) throw new ConnectorDataError(`--unpaired: dataset "${ds.name}" has no unpaired items: every item with vectors is in the run's own pairs or held out`);
  }
  const pack = (list: Buffer[], dim: number): Float32Array => {
    const out = new Float32Array(list.length * dim);
    // Byte copies: a stored vector's bytes need not start at a multiple of 4.
    const bytes = new Uint8Array(out.buffer);
    list.forEach((v, i) => bytes.set(v.subarray(0, dim * 4), i * dim * 4));
    return out;
  };
  return { a: pack(rows.a, d.aDim), b: pack(rows.b, d.bDim) };
}

