import type { Db } from '../database.ts';

export type RunStatus = 'created' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface RunRow {
  id: number;
  name: string;
  status: RunStatus;
  config: string;
  created_at: number;
  updated_at: number;
}

export class RunsRepo {
  private readonly insertStmt;
  private readonly statusStmt;
  private readonly configStmt;
  private readonly byId;
  private readonly all;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[string, string, number, number]>(
      "INSERT INTO runs (name, status, config, created_at, updated_at) VALUES (?, 'created', ?, ?, ?)",
    );
    this.statusStmt = db.prepare<[string, number, number]>('UPDATE runs SET status = ?, updated_at = ? WHERE id = ?');
    this.configStmt = db.prepare<[string, number, number]>('UPDATE runs SET config = ?, updated_at = ? WHERE id = ?');
    this.byId = db.prepare<[number], RunRow>('SELECT * FROM runs WHERE id = ?');
    this.all = db.prepare<[], RunRow>('SELECT * FROM runs ORDER BY id');
    this.deleteStmt = db.prepare<[number]>('DELETE FROM runs WHERE id = ?');
  }

  create(name: string, config: unknown, now: number): number {
    return Number(this.insertStmt.run(name, JSON.stringify(config), now, now).lastInsertRowid);
  }

  setStatus(id: number, status: RunStatus, now: number): void {
    this.statusStmt.run(status, now, id);
  }

  setConfig(id: number, config: unknown, now: number): void {
    this.configStmt.run(JSON.stringify(config), now, id);
  }

  get(id: number): RunRow | undefined {
    return this.byId.get(id);
  }

  list(): RunRow[] {
    return this.all.all();
  }

  delete(id: number): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }
}
