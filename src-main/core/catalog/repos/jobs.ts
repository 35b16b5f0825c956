import type { Db } from '../database.ts';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobRow {
  id: string;
  kind: string;
  status: JobStatus;
  params: string;
  progress: string;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export class JobsRepo {
  private readonly insertStmt;
  private readonly progressStmt;
  private readonly finishStmt;
  private readonly byId;
  private readonly byStatus;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[string, string, string, number, number]>(
      "INSERT INTO jobs (id, kind, status, params, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?, ?)",
    );
    this.progressStmt = db.prepare<[string, number, string]>(
      "UPDATE jobs SET status = 'running', progress = ?, updated_at = ? WHERE id = ?",
    );
    this.finishStmt = db.prepare<[string, string | null, string | null, number, string]>(
      'UPDATE jobs SET status = ?, result = ?, error = ?, updated_at = ? WHERE id = ?',
    );
    this.byId = db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?');
    this.byStatus = db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE status = ? ORDER BY created_at');
  }

  create(id: string, kind: string, params: unknown, now: number): void {
    this.insertStmt.run(id, kind, JSON.stringify(params), now, now);
  }

  progress(id: string, progress: unknown, now: number): void {
    this.progressStmt.run(JSON.stringify(progress), now, id);
  }

  finish(id: string, status: Exclude<JobStatus, 'queued' | 'running'>, result: unknown, error: string | null, now: number): void {
    this.finishStmt.run(status, result === undefined ? null : JSON.stringify(result), error, now, id);
  }

  get(id: string): JobRow | undefined {
    return this.byId.get(id);
  }

  withStatus(status: JobStatus): JobRow[] {
    return this.byStatus.all(status);
  }
}
