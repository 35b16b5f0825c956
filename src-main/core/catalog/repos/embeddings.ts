import type { Db } from '../database.ts';

/** An item still to embed, with its dataset's root for resolving media paths. */
export interface MissingItem {
  id: number;
  key: string;
  path: string | null;
  text: string | null;
  root: string;
}

export class EmbeddingsRepo {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly countCurrent;
  private readonly countCurrentInDataset;
  private readonly deleteStale;
  private readonly inDataset;
  private readonly pageOfModality;
  private readonly generationStmt;
  private readonly missingStmt;
  private readonly countMissingStmt;

  constructor(db: Db) {
    this.upsertStmt = db.prepare<[number, number, string, number, Buffer, number]>(
      `INSERT INTO embeddings (encoder_id, item_id, encoder_hash, dim, vector, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (encoder_id, item_id) DO UPDATE SET
         encoder_hash = excluded.encoder_hash, dim = excluded.dim, vector = excluded.vector, created_at = excluded.created_at
       -- The same vector again is no write at all (re-importing the same file reports it unchanged
       -- and leaves search caches valid).
       WHERE embeddings.vector IS NOT excluded.vector OR embeddings.encoder_hash IS NOT excluded.encoder_hash`,
    );
    // Only vectors whose hash matches the encoder's current model count: stale ones are never returned.
    this.getStmt = db.prepare<[number, number], { vector: Buffer; dim: number }>(
      `SELECT e.vector, e.dim FROM embeddings e JOIN encoders x ON x.id = e.encoder_id
       WHERE e.encoder_id = ? AND e.item_id = ? AND e.encoder_hash = x.file_hash`,
    );
    // Counts use the primary-key index only (never the 64 KB pages holding the vectors): they can
    // ignore the hash because stale vectors are deleted when an encoder's model changes.
    this.countCurrent = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM embeddings WHERE encoder_id = ?');
    this.countCurrentInDataset = db.prepare<[number, number], { n: number }>(
      `SELECT count(*) AS n FROM embeddings e JOIN items i ON i.id = e.item_id
       WHERE e.encoder_id = ? AND i.dataset_id = ?`,
    );
    this.deleteStale = db.prepare<[number, string]>('DELETE FROM embeddings WHERE encoder_id = ? AND encoder_hash != ?');
    // Items of a modality with no current vector from an encoder, by id (keyset pages): what an
    // embedding job still has to do. A NULL dataset means every dataset.
    this.missingStmt = db.prepare<[string, number | null, number | null, number, number, string, number], MissingItem>(
      `SELECT i.id, i.key, i.path, i.text, d.root FROM items i JOIN datasets d ON d.id = i.dataset_id
       WHERE i.modality = ? AND (? IS NULL OR i.dataset_id = ?) AND i.id > ?
         AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.encoder_id = ? AND e.item_id = i.id AND e.encoder_hash = ?)
       ORDER BY i.id LIMIT ?`,
    );
    this.countMissingStmt = db.prepare<[string, number | null, number | null, number, string], { n: number }>(
      `SELECT count(*) AS n FROM items i
       WHERE i.modality = ? AND (? IS NULL OR i.dataset_id = ?)
         AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.encoder_id = ? AND e.item_id = i.id AND e.encoder_hash = ?)`,
    );
    this.generationStmt = db.prepare<[], { value: number }>("SELECT value FROM counters WHERE name = 'embeddings'");
    this.pageOfModality = db.prepare<[number, string, number, number], { item_id: number; dataset_id: number; vector: Buffer }>(
      `SELECT e.item_id, i.dataset_id, e.vector FROM embeddings e JOIN encoders x ON x.id = e.encoder_id JOIN items i ON i.id = e.item_id
       WHERE e.encoder_id = ? AND i.modality = ? AND e.encoder_hash = x.file_hash AND e.item_id > ? ORDER BY e.item_id LIMIT ?`,
    );
    this.inDataset = db.prepare<[number, number], { item_id: number; vector: Buffer }>(
      `SELECT e.item_id, e.vector FROM embeddings e JOIN encoders x ON x.id = e.encoder_id JOIN items i ON i.id = e.item_id
       WHERE e.encoder_id = ? AND i.dataset_id = ? AND e.encoder_hash = x.file_hash`,
    );
  }

  /** Stores one float32 vector (its bytes, little-endian) for an item under an encoder's current hash. */
  /** Returns whether a row was written (0: the same vector was already stored). */
  put(encoderId: number, itemId: number, encoderHash: string, vector: Buffer, now: number): number {
    return this.upsertStmt.run(encoderId, itemId, encoderHash, vector.byteLength / 4, vector, now).changes;
  }

  /** The item's current vector for this encoder, or undefined when absent or stale. */
  get(encoderId: number, itemId: number): Float32Array | undefined {
    const row = this.getStmt.get(encoderId, itemId);
    if (!row) return undefined;
    // Copy into an aligned buffer: SQLite's bytes may start at any offset.
    const out = new Float32Array(row.dim);
    new Uint8Array(out.buffer).set(row.vector);
    return out;
  }

  count(encoderId: number, datasetId?: number): number {
    return datasetId === undefined
      ? this.countCurrent.get(encoderId)!.n
      : this.countCurrentInDataset.get(encoderId, datasetId)!.n;
  }

  /** Grows with every inserted, changed or deleted vector (a trigger counts them). */
  generation(): number {
    return this.generationStmt.get()!.value;
  }

  /**
   * Up to `limit` current vectors of an encoder for items of one modality after item `afterId`, in
   * item order: keyset pages hold no statement open between them, so a caller may write meanwhile.
   */
  pageModality(encoderId: number, modality: string, afterId: number, limit: number): { itemId: number; datasetId: number; vector: Buffer }[] {
    return this.pageOfModality.all(encoderId, modality, afterId, limit).map((row) => ({ itemId: row.item_id, datasetId: row.dataset_id, vector: row.vector }));
  }

  /** Every current vector of an encoder for a dataset's items, as item id -> its float32 bytes. */
  *iterateDataset(encoderId: number, datasetId: number): Generator<{ itemId: number; vector: Buffer }> {
    for (const row of this.inDataset.iterate(encoderId, datasetId)) yield { itemId: row.item_id, vector: row.vector };
  }

  /** Up to `limit` items after `afterId` that lack a vector from the encoder's model `hash`. */
  missing(encoderId: number, hash: string, modality: string, datasetId: number | null, afterId: number, limit: number): MissingItem[] {
    return this.missingStmt.all(modality, datasetId, datasetId, afterId, encoderId, hash, limit);
  }

  countMissing(encoderId: number, hash: string, modality: string, datasetId: number | null): number {
    return this.countMissingStmt.get(modality, datasetId, datasetId, encoderId, hash)!.n;
  }

  /** Drops vectors computed by any model other than `currentHash`; returns how many. */
  deleteStaleVectors(encoderId: number, currentHash: string): number {
    return this.deleteStale.run(encoderId, currentHash).changes;
  }
}
