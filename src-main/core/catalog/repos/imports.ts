import type { Db } from '../database.ts';

export interface ImportRow {
  id: number;
  dataset_id: number;
  format: string;
  source: string;
  report: string;
  created_at: number;
}

export class ImportsRepo {
  private readonly insertStmt;
  private readonly byDataset;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[number, string, string, string, number]>(
      'INSERT INTO imports (dataset_id, format, source, report, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.byDataset = db.prepare<[number], ImportRow>('SELECT * FROM imports WHERE dataset_id = ? ORDER BY id');
  }

  record(datasetId: number, format: string, source: string, report: unknown, now: number): void {
    this.insertStmt.run(datasetId, format, source, JSON.stringify(report), now);
  }

  forDataset(datasetId: number): ImportRow[] {
    return this.byDataset.all(datasetId);
  }
}
