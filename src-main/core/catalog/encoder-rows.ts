// An encoder's vectors as one matrix, for the whole-catalog passes (duplicates, maps) that work in
// the encoder's own space.
import { normalizeRows } from '../index/exact.ts';
import type { Catalog } from './catalog.ts';
import type { EncoderRow } from './repos/encoders.ts';
import { concatArrays } from '../util/arrays.ts';

/** Every current vector of an encoder in its own space: item ids, the stored (raw) rows and unit rows. */
export function encoderRows(catalog: Catalog, encoder: EncoderRow, block = 4096): { ids: Int32Array; raw: Float32Array; unit: Float32Array } {
  const pages: { ids: Int32Array; raw: Float32Array }[] = [];
  const dim = encoder.dim;
  for (let after = 0; ; ) {
    const rows = catalog.embeddings.pageModality(encoder.id, encoder.modality, after, block);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.itemId;
    const raw = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => new Uint8Array(raw.buffer, i * dim * 4, dim * 4).set(r.vector));
    pages.push({ ids: Int32Array.from(rows, (r) => r.itemId), raw });
  }
  const raw = concatArrays(pages.map((p) => p.raw), Float32Array);
  return { ids: concatArrays(pages.map((p) => p.ids), Int32Array), raw, unit: normalizeRows(raw, dim) };
}
