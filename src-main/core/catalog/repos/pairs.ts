import type { Split } from '../../../../src-shared/types.ts';
import type { Db } from '../database.ts';

export class PairsRepo {
  private readonly insertStmt;
  private readonly updateSplit;
  private readonly splitCounts;
  private readonly ofDataset;
  private readonly inSplit;
  private readonly splitsOfItem;
  private readonly everySplit;
  private readonly captionsOf;
  private readonly mediaOfStmt;
  private readonly allCaptions;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[number, number, number, string | null]>(
      'INSERT OR IGNORE INTO pairs (dataset_id, a_item_id, b_item_id, split) VALUES (?, ?, ?, ?)',
    );
    this.updateSplit = db.prepare<[string | null, number, number, string | null]>(
      'UPDATE pairs SET split = ? WHERE a_item_id = ? AND b_item_id = ? AND split IS NOT ?',
    );
    this.ofDataset = db.prepare<[number, string, string], { a: number; b: number; split: Split | null }>(
      `SELECT p.a_item_id AS a, p.b_item_id AS b, p.split FROM pairs p
       JOIN items ia ON ia.id = p.a_item_id JOIN items ib ON ib.id = p.b_item_id
       WHERE p.dataset_id = ? AND ia.modality = ? AND ib.modality = ? ORDER BY p.a_item_id, p.b_item_id`,
    );
    this.inSplit = db.prepare<[string], { a: number; b: number }>('SELECT a_item_id AS a, b_item_id AS b FROM pairs WHERE split = ?');
    this.everySplit = db.prepare<[], { a: number; b: number; split: Split | null }>('SELECT a_item_id AS a, b_item_id AS b, split FROM pairs');
    this.splitsOfItem = db.prepare<[number, number], { split: Split | null }>(
      'SELECT DISTINCT split FROM pairs WHERE a_item_id = ? UNION SELECT DISTINCT split FROM pairs WHERE b_item_id = ?',
    );
    this.captionsOf = db.prepare<[string], { id: number; text: string }>(
      `SELECT p.a_item_id AS id, i.text AS text FROM pairs p JOIN items i ON i.id = p.b_item_id
       WHERE p.a_item_id IN (SELECT value FROM json_each(?)) AND i.modality = 'text' ORDER BY p.a_item_id, p.b_item_id`,
    );
    this.allCaptions = db.prepare<[number], { itemId: number; text: string }>(
      `SELECT i.id AS itemId, i.text AS text FROM pairs p JOIN items i ON i.id = p.b_item_id
       WHERE p.a_item_id = ? AND i.modality = 'text' ORDER BY p.b_item_id`,
    );
    this.mediaOfStmt = db.prepare<[string], { caption: number; id: number; modality: 'image' | 'audio'; key: string }>(
      `SELECT p.b_item_id AS caption, i.id, i.modality, i.key FROM pairs p JOIN items i ON i.id = p.a_item_id
       WHERE p.b_item_id IN (SELECT value FROM json_each(?)) AND i.modality != 'text' ORDER BY p.b_item_id, p.a_item_id`,
    );
    this.splitCounts = db.prepare<[number], { split: Split | null; n: number }>(
      'SELECT split, count(*) AS n FROM pairs WHERE dataset_id = ? GROUP BY split',
    );
  }

  /** Ids of the items (either side) of the pairs in these splits: what a split filter keeps. */
  itemsInSplits(splits: readonly Split[]): Set<number> {
    const ids = new Set<number>();
    for (const split of splits) {
      for (const { a, b } of this.inSplit.iterate(split)) {
        ids.add(a);
        ids.add(b);
      }
    }
    return ids;
  }

  /**
   * Each paired item's split (either side of any pair), a held-out split winning over train when
   * an item is in both: what a map colours by, so leaked items show as held out.
   */
  itemSplits(): Map<number, Split | 'unassigned'> {
    const rank = { unassigned: 0, train: 1, val: 2, test: 3 } as const;
    const out = new Map<number, Split | 'unassigned'>();
    for (const p of this.everySplit.iterate()) {
      const s = p.split ?? 'unassigned';
      for (const id of [p.a, p.b]) {
        const was = out.get(id);
        if (!was || rank[s] > rank[was]) out.set(id, s);
      }
    }
    return out;
  }

  /** Each media item's first caption (the first imported), for showing a hit by its words. */
  firstCaptions(mediaIds: readonly number[]): Map<number, string> {
    const out = new Map<number, string>();
    if (mediaIds.length === 0) return out;
    for (const r of this.captionsOf.iterate(JSON.stringify(mediaIds))) if (!out.has(r.id)) out.set(r.id, r.text);
    return out;
  }

  /** Every caption of a media item, in pair order. */
  captionsOfItem(mediaId: number): { itemId: number; text: string }[] {
    return this.allCaptions.all(mediaId);
  }

  /** Every media item a caption describes. */
  mediaOfItem(captionId: number): { itemId: number; modality: 'image' | 'audio'; key: string }[] {
    return [...this.mediaOfStmt.iterate(JSON.stringify([captionId]))].map((r) => ({ itemId: r.id, modality: r.modality, key: r.key }));
  }

  /** The media item each caption describes (its first, when it describes several). */
  mediaOf(captionIds: readonly number[]): Map<number, { itemId: number; modality: 'image' | 'audio'; key: string }> {
    const out = new Map<number, { itemId: number; modality: 'image' | 'audio'; key: string }>();
    if (captionIds.length === 0) return out;
    for (const r of this.mediaOfStmt.iterate(JSON.stringify(captionIds))) if (!out.has(r.caption)) out.set(r.caption, { itemId: r.id, modality: r.modality, key: r.key });
    return out;
  }

  /** The splits of the pairs an item belongs to (either side), null for unassigned. */
  splitsOf(itemId: number): (Split | null)[] {
    return this.splitsOfItem.all(itemId, itemId).map((r) => r.split);
  }

  /** Adds a pair; returns false when it already exists (then nothing changes). */
  insert(datasetId: number, aItemId: number, bItemId: number, split: Split | null): boolean {
    return this.insertStmt.run(datasetId, aItemId, bItemId, split).changes > 0;
  }

  /** Sets an existing pair's split; returns false when it already had that split. */
  setSplit(aItemId: number, bItemId: number, split: Split | null): boolean {
    return this.updateSplit.run(split, aItemId, bItemId, split).changes > 0;
  }

  /** The dataset's pairs whose sides have the given modalities. */
  between(datasetId: number, aModality: string, bModality: string): { a: number; b: number; split: Split | null }[] {
    return this.ofDataset.all(datasetId, aModality, bModality);
  }

  counts(datasetId: number): Record<Split | 'unassigned', number> {
    const out = { train: 0, val: 0, test: 0, unassigned: 0 };
    for (const row of this.splitCounts.all(datasetId)) out[row.split ?? 'unassigned'] = row.n;
    return out;
  }
}
