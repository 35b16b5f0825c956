import type { Modality } from '../../../../src-shared/types.ts';
import type { Db } from '../database.ts';

export interface ItemRow {
  id: number;
  dataset_id: number;
  modality: Modality;
  key: string;
  path: string | null;
  text: string | null;
  content_hash: string | null;
  meta: string;
}

export interface NewItem {
  modality: Modality;
  key: string;
  path: string | null;
  text: string | null;
  contentHash: string | null;
  meta: string;
}

/** What an existing item looks like, for deciding whether a re-import changes it. */
export interface ItemFingerprint {
  id: number;
  path: string | null;
  text: string | null;
  content_hash: string | null;
  meta: string;
}

export class ItemsRepo {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly fingerprints;
  private readonly keyIds;
  private readonly byKey;
  private readonly countByModality;
  private readonly page;
  private readonly byIdStmt;

  private readonly deleteStmt;
  private readonly orphanTexts;
  private readonly sameHash;
  private readonly briefStmt;
  private readonly matchText;
  private readonly indexWordsStmt;
  private readonly matchMediaStmt;
  private readonly contentStmt;
  private readonly copiesStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[number, string, string, string | null, string | null, string | null, string]>(
      'INSERT INTO items (dataset_id, modality, key, path, text, content_hash, meta) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.updateStmt = db.prepare<[string | null, string | null, string | null, string, number]>(
      'UPDATE items SET path = ?, text = ?, content_hash = ?, meta = ? WHERE id = ?',
    );
    this.fingerprints = db.prepare<[number, string], ItemFingerprint & { key: string }>(
      'SELECT id, key, path, text, content_hash, meta FROM items WHERE dataset_id = ? AND modality = ?',
    );
    this.keyIds = db.prepare<[number, string], { key: string; id: number }>(
      'SELECT key, id FROM items WHERE dataset_id = ? AND modality = ?',
    );
    this.byKey = db.prepare<[number, string, string], ItemRow>(
      'SELECT * FROM items WHERE dataset_id = ? AND modality = ? AND key = ?',
    );
    this.countByModality = db.prepare<[number], { modality: Modality; n: number }>(
      'SELECT modality, count(*) AS n FROM items WHERE dataset_id = ? GROUP BY modality',
    );
    this.byIdStmt = db.prepare<[number], ItemRow>('SELECT * FROM items WHERE id = ?');
    this.page = db.prepare<[number, number, number], ItemRow>(
      'SELECT * FROM items WHERE dataset_id = ? AND id > ? ORDER BY id LIMIT ?',
    );
    this.deleteStmt = db.prepare<[number]>('DELETE FROM items WHERE id = ?');
    this.indexWordsStmt = db.prepare(
      `INSERT INTO items_fts (rowid, words)
         SELECT id, CASE modality WHEN 'text' THEN text ELSE replace(replace(replace(replace(key, '/', ' '), '_', ' '), '-', ' '), '.', ' ') END
         FROM items WHERE id > (SELECT coalesce(max(rowid), 0) FROM items_fts)`,
    );
    this.matchText = db.prepare<[string, number], { id: number; dataset_id: number }>(
      `SELECT i.id, i.dataset_id FROM items_fts f JOIN items i ON i.id = f.rowid
       WHERE items_fts MATCH ? AND i.modality = 'text' ORDER BY f.rank LIMIT ?`,
    );
    // A media item by its own file name or through its best-matching caption, whichever ranks it higher.
    this.matchMediaStmt = db.prepare<[string, string, number, string, string, number], { id: number; dataset_id: number }>(
      `SELECT id, dataset_id FROM (
         SELECT i.id, i.dataset_id, f.rank AS r FROM items_fts f JOIN items i ON i.id = f.rowid
           WHERE items_fts MATCH ? AND i.modality = ? AND (? OR NOT EXISTS (SELECT 1 FROM pairs q WHERE q.a_item_id = i.id))
         UNION ALL
         SELECT m.id, m.dataset_id, f.rank AS r FROM items_fts f JOIN pairs p ON p.b_item_id = f.rowid JOIN items m ON m.id = p.a_item_id
           WHERE items_fts MATCH ? AND m.modality = ?
       ) GROUP BY id ORDER BY min(r), id LIMIT ?`,
    );
    this.contentStmt = db.prepare<[string], { id: number; modality: Modality; text: string | null; content_hash: string | null }>(
      'SELECT id, modality, text, content_hash FROM items WHERE id IN (SELECT value FROM json_each(?))',
    );
    this.copiesStmt = db.prepare<[number], { id: number; dataset_id: number; key: string }>(
      `SELECT o.id, o.dataset_id, o.key FROM items i JOIN items o ON o.modality = i.modality AND o.id != i.id
         AND (CASE i.modality WHEN 'text' THEN o.text = i.text ELSE o.content_hash = i.content_hash END)
       WHERE i.id = ? AND (i.modality = 'text' OR i.content_hash IS NOT NULL) ORDER BY o.id LIMIT 1000`,
    );
    this.briefStmt = db.prepare<[], { id: number; dataset_id: number; modality: Modality }>('SELECT id, dataset_id, modality FROM items');
    this.sameHash = db.prepare<[string], { ids: string }>(
      `SELECT group_concat(id) AS ids FROM items WHERE modality = ? AND content_hash IS NOT NULL
       GROUP BY content_hash HAVING count(*) > 1`,
    );
    // Captions whose every media item is gone (their pairs went with it, by cascade).
    this.orphanTexts = db.prepare<[number, number]>(
      "DELETE FROM items WHERE dataset_id = ? AND modality = 'text' AND id NOT IN (SELECT b_item_id FROM pairs WHERE dataset_id = ?)",
    );
  }

  /** Removes media items with their pairs and vectors, then the captions left without a pair; returns how many captions went. */
  deleteWithCaptions(datasetId: number, ids: readonly number[]): number {
    for (const id of ids) this.deleteStmt.run(id);
    return this.orphanTexts.run(datasetId, datasetId).changes;
  }

  insert(datasetId: number, item: NewItem): number {
    const info = this.insertStmt.run(
      datasetId,
      item.modality,
      item.key,
      item.path,
      item.text,
      item.contentHash,
      item.meta,
    );
    return Number(info.lastInsertRowid);
  }

  update(id: number, item: NewItem): void {
    this.updateStmt.run(item.path, item.text, item.contentHash, item.meta, id);
  }

  /** Every item of one modality of a dataset, keyed by its key: one query instead of one per row. */
  fingerprintsOf(datasetId: number, modality: Modality): Map<string, ItemFingerprint> {
    const out = new Map<string, ItemFingerprint>();
    for (const row of this.fingerprints.iterate(datasetId, modality)) out.set(row.key, row);
    return out;
  }

  /** key -> item id for one modality of a dataset (reads only the unique index). */
  idsByKey(datasetId: number, modality: Modality): Map<string, number> {
    const out = new Map<string, number>();
    for (const row of this.keyIds.iterate(datasetId, modality)) out.set(row.key, row.id);
    return out;
  }

  get(datasetId: number, modality: Modality, key: string): ItemRow | undefined {
    return this.byKey.get(datasetId, modality, key);
  }

  getById(id: number): ItemRow | undefined {
    return this.byIdStmt.get(id);
  }

  counts(datasetId: number): Partial<Record<Modality, number>> {
    const out: Partial<Record<Modality, number>> = {};
    for (const row of this.countByModality.all(datasetId)) out[row.modality] = row.n;
    return out;
  }

  /** Every item's dataset and modality (a map's colours), by id. */
  briefs(): Map<number, { datasetId: number; modality: Modality }> {
    const out = new Map<number, { datasetId: number; modality: Modality }>();
    for (const r of this.briefStmt.iterate()) out.set(r.id, { datasetId: r.dataset_id, modality: r.modality });
    return out;
  }

  /**
   * Adds the words of items not yet in the keyword index (every id above its highest): run once at
   * the end of a write that inserted items, in its transaction. Returns how many.
   */
  indexNewWords(): number {
    return this.indexWordsStmt.run().changes;
  }

  /** Captions matching an FTS5 expression, best (BM25) first. */
  matchCaptions(expr: string, limit: number): { id: number; datasetId: number }[] {
    return this.matchText.all(expr, limit).map((r) => ({ id: r.id, datasetId: r.dataset_id }));
  }

  /**
   * Media items of a modality whose caption matches an FTS5 expression, best first; a file name
   * (every part of its path) counts for media without a caption, or for all when `paths` is set.
   */
  matchMedia(expr: string, modality: Modality, limit: number, paths = false): { id: number; datasetId: number }[] {
    return this.matchMediaStmt.all(expr, modality, paths ? 1 : 0, expr, modality, limit).map((r) => ({ id: r.id, datasetId: r.dataset_id }));
  }

  /** What identifies each item's content: a media file's hash (null when not hashed), a caption's text. */
  contentOf(ids: readonly number[]): Map<number, string | null> {
    const out = new Map<number, string | null>();
    if (ids.length === 0) return out;
    for (const r of this.contentStmt.iterate(JSON.stringify(ids))) out.set(r.id, r.modality === 'text' ? r.text : r.content_hash);
    return out;
  }

  /** Other items with the same content as this one: the same file hash, or the same caption text. */
  copiesOf(id: number): { itemId: number; datasetId: number; key: string }[] {
    return this.copiesStmt.all(id).map((r) => ({ itemId: r.id, datasetId: r.dataset_id, key: r.key }));
  }

  /** Sets of two or more items of a modality with the same content hash (identical bytes or text). */
  sameContent(modality: Modality): number[][] {
    return this.sameHash.all(modality).map((r) => r.ids.split(',').map(Number));
  }

  list(datasetId: number, afterId: number, limit: number): ItemRow[] {
    return this.page.all(datasetId, afterId, limit);
  }
}
