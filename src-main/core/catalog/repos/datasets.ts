import type { Db } from '../database.ts';

export interface DatasetRow {
  id: number;
  name: string;
  format: string;
  root: string;
  meta: string;
  created_at: number;
  updated_at: number;
}

export class DatasetsRepo {
  private readonly byName;
  private readonly byId;
  private readonly all;
  private readonly insertStmt;
  private readonly touchStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.byName = db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE name = ?');
    this.byId = db.prepare<[number], DatasetRow>('SELECT * FROM datasets WHERE id = ?');
    this.all = db.prepare<[], DatasetRow>('SELECT * FROM datasets ORDER BY name');
    this.insertStmt = db.prepare<[string, string, string, number, number]>(
      'INSERT INTO datasets (name, format, root, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.touchStmt = db.prepare<[string, string, number, number]>(
      'UPDATE datasets SET format = ?, root = ?, updated_at = ? WHERE id = ?',
    );
    this.deleteStmt = db.prepare<[number]>('DELETE FROM datasets WHERE id = ?');
  }

  get(name: string): DatasetRow | undefined {
    return this.byName.get(name);
  }

  getById(id: number): DatasetRow | undefined {
    return this.byId.get(id);
  }

  list(): DatasetRow[] {
    return this.all.all();
  }

  /** Returns the dataset's id, creating it or recording the latest format and root. */
  upsert(name: string, format: string, root: string, now: number): { id: number; created: boolean } {
    const existing = this.byName.get(name);
    if (existing) {
      if (existing.format !== format || existing.root !== root) this.touchStmt.run(format, root, now, existing.id);
      return { id: existing.id, created: false };
    }
    const info = this.insertStmt.run(name, format, root, now, now);
    return { id: Number(info.lastInsertRowid), created: true };
  }

  touch(id: number, now: number): void {
    const row = this.byId.get(id);
    if (row) this.touchStmt.run(row.format, row.root, now, id);
  }

  delete(id: number): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }
}
