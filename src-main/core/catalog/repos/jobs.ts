import type { Db } from '../database.ts';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

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
  title: string;
}

export class JobsRepo {
  private readonly insertStmt;
  private readonly progressStmt;
  private readonly finishStmt;
  private readonly byId;
  private readonly byStatus;
  private readonly allStmt;
  private readonly paramsStmt;
  private readonly interruptStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[string, string, string, string, number, number]>(
      "INSERT INTO jobs (id, kind, title, status, params, created_at, updated_at) VALUES (?, ?, ?, 'queued', ?, ?, ?)",
    );
    this.allStmt = db.prepare<[], JobRow>('SELECT * FROM jobs ORDER BY created_at, rowid');
    this.paramsStmt = db.prepare<[string, number, string]>('UPDATE jobs SET params = ?, updated_at = ? WHERE id = ?');
    this.interruptStmt = db.prepare<[number, string]>("UPDATE jobs SET status = 'interrupted', updated_at = ? WHERE id = ? AND status IN ('queued', 'running')");
    this.progressStmt = db.prepare<[string, number, string]>(
      "UPDATE jobs SET status = 'running', progress = ?, updated_at = ? WHERE id = ?",
    );
    this.finishStmt = db.prepare<[string, string | null, string | null, number, string]>(
      'UPDATE jobs SET status = ?, result = ?, error = ?, updated_at = ? WHERE id = ?',
    );
    this.byId = db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?');
    this.byStatus = db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE status = ? ORDER BY created_at');
  }

  create(id: string, kind: string, params: unknown, now: number, title = ''): void {
    this.insertStmt.run(id, kind, title, JSON.stringify(params), now, now);
  }

  setParams(id: string, params: unknown, now: number): void {
    this.paramsStmt.run(JSON.stringify(params), now, id);
  }

  /** Marks a queued or running job interrupted (its process is gone); false when it had ended. */
  interrupt(id: string, now: number): boolean {
    return this.interruptStmt.run(now, id).changes > 0;
  }

  list(): JobRow[] {
    return this.allStmt.all();
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
