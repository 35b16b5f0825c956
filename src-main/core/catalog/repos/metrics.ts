import type { Db } from '../database.ts';

export interface MetricRow {
  run_id: number;
  step: number;
  split: string;
  name: string;
  value: number;
}

export class MetricsRepo {
  private readonly upsertStmt;
  private readonly forRunStmt;

  constructor(db: Db) {
    this.upsertStmt = db.prepare<[number, number, string, string, number]>(
      `INSERT INTO metrics (run_id, step, split, name, value) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (run_id, step, split, name) DO UPDATE SET value = excluded.value`,
    );
    this.forRunStmt = db.prepare<[number], MetricRow>('SELECT * FROM metrics WHERE run_id = ? ORDER BY step, split, name');
  }

  record(runId: number, step: number, split: string, values: Record<string, number>): void {
    for (const [name, value] of Object.entries(values)) this.upsertStmt.run(runId, step, split, name, value);
  }

  forRun(runId: number): MetricRow[] {
    return this.forRunStmt.all(runId);
  }
}
