// A collection's vectors as every store holds them: each current vector of the encoder, mapped by
// the run's gallery graph when there is a run, then scaled to unit length (cosine = dot product).
// Read in blocks so pushing a large catalog needs bounded memory.
import type { Catalog } from '../catalog/catalog.ts';
import type { RowMapper } from '../model/row-mapper.ts';
import { normalizeRows } from '../index/exact.ts';
import type { Collection } from './store.ts';

/** The run's gallery graph for a collection (the engine keeps one session per run and direction). */
export type GalleryFor = (run: NonNullable<Collection['run']>, target: Collection['encoder']['modality']) => Promise<RowMapper>;

export interface RowBlock {
  ids: Int32Array;
  datasets: Int32Array;
  /** Unit rows, dim floats each. */
  unit: Float32Array;
  /** The raw float32 bytes of each row as stored in the catalog (what a store push compares). */
  raw: Buffer[];
}

/** The dimension of a collection's vectors: the encoder's, or the run's gallery output. */
export async function collectionDim(c: Collection, gallery: GalleryFor): Promise<number> {
  return c.run ? (await gallery(c.run, c.encoder.modality)).dim : c.encoder.dim;
}

/** Every row of a collection, in item order, `block` rows at a time. */
export async function* collectionRows(catalog: Catalog, c: Collection, gallery: GalleryFor, block = 4096): AsyncGenerator<RowBlock> {
  const mapper = c.run ? await gallery(c.run, c.encoder.modality) : null;
  const dim = c.encoder.dim;
  for (let after = 0; ; ) {
    const rows = catalog.embeddings.pageModality(c.encoder.id, c.encoder.modality, after, block);
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.itemId;
    const raw = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => new Uint8Array(raw.buffer, i * dim * 4, dim * 4).set(r.vector));
    yield {
      ids: Int32Array.from(rows, (r) => r.itemId),
      datasets: Int32Array.from(rows, (r) => r.datasetId),
      unit: await unitRows(raw, dim, mapper),
      raw: rows.map((r) => r.vector),
    };
  }
}

/** Raw encoder vectors (n x dim) as a collection holds them: mapped if there is a run, unit length. */
export async function unitRows(raw: Float32Array, dim: number, mapper: RowMapper | null): Promise<Float32Array> {
  return mapper ? normalizeRows(await mapper.map(raw), mapper.dim) : normalizeRows(raw, dim);
}
