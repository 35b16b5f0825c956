import type { Split } from '../../../../src-shared/types.ts';
import type { Db } from '../database.ts';

export class PairsRepo {
  private readonly insertStmt;
  private readonly updateSplit;
  private readonly existing;
  private readonly splitCounts;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[number, number, number, string | null]>(
      'INSERT INTO pairs (dataset_id, a_item_id, b_item_id, split) VALUES (?, ?, ?, ?)',
    );
    this.updateSplit = db.prepare<[string | null, number]>('UPDATE pairs SET split = ? WHERE id = ?');
    this.existing = db.prepare<[number], { id: number; a_item_id: number; b_item_id: number; split: Split | null }>(
      'SELECT id, a_item_id, b_item_id, split FROM pairs WHERE dataset_id = ?',
    );
    this.splitCounts = db.prepare<[number], { split: Split | null; n: number }>(
      'SELECT split, count(*) AS n FROM pairs WHERE dataset_id = ? GROUP BY split',
    );
  }

  insert(datasetId: number, aItemId: number, bItemId: number, split: Split | null): void {
    this.insertStmt.run(datasetId, aItemId, bItemId, split);
  }

  setSplit(pairId: number, split: Split | null): void {
    this.updateSplit.run(split, pairId);
  }

  /** Existing pairs of a dataset keyed "a:b", for idempotent re-imports. */
  existingOf(datasetId: number): Map<string, { id: number; split: Split | null }> {
    const out = new Map<string, { id: number; split: Split | null }>();
    for (const row of this.existing.iterate(datasetId)) {
      out.set(`${row.a_item_id}:${row.b_item_id}`, { id: row.id, split: row.split });
    }
    return out;
  }

  counts(datasetId: number): Record<Split | 'unassigned', number> {
    const out = { train: 0, val: 0, test: 0, unassigned: 0 };
    for (const row of this.splitCounts.all(datasetId)) out[row.split ?? 'unassigned'] = row.n;
    return out;
  }
}
