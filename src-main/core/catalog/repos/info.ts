import type { Db } from '../database.ts';

/** The catalog_info table: facts about the catalog itself (its id). */
export class InfoRepo {
  private readonly getStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string], { value: string }>('SELECT value FROM catalog_info WHERE name = ?');
  }

  /** The catalog's id, made once by its migration and kept by copies. */
  catalogId(): string {
    return this.getStmt.get('id')!.value;
  }
}
