import type { Db } from '../database.ts';

/** The duplicate_marks table: pairs of items the user said are not duplicates. */
export class DuplicateMarksRepo {
  private readonly addStmt;
  private readonly removeStmt;
  private readonly allStmt;

  constructor(db: Db) {
    this.addStmt = db.prepare<[number, number, number]>(
      'INSERT INTO duplicate_marks (a_item_id, b_item_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.removeStmt = db.prepare<[number, number]>('DELETE FROM duplicate_marks WHERE a_item_id = ? AND b_item_id = ?');
    this.allStmt = db.prepare<[], { a_item_id: number; b_item_id: number }>('SELECT a_item_id, b_item_id FROM duplicate_marks');
  }

  /** Marks a pair (either order) as not a duplicate; returns whether it is new. */
  add(a: number, b: number, now: number): boolean {
    return this.addStmt.run(Math.min(a, b), Math.max(a, b), now).changes > 0;
  }

  remove(a: number, b: number): boolean {
    return this.removeStmt.run(Math.min(a, b), Math.max(a, b)).changes > 0;
  }

  /** Every marked pair, as "a:b" keys with a < b. */
  all(): Set<string> {
    const out = new Set<string>();
    for (const r of this.allStmt.iterate()) out.add(`${r.a_item_id}:${r.b_item_id}`);
    return out;
  }
}
