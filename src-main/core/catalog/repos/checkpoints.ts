import type { Db } from '../database.ts';

export interface CheckpointRow {
  id: number;
  run_id: number;
  step: number;
  hash: string;
  data: Buffer | null;
  path: string | null;
  state: string;
  created_at: number;
}

export class CheckpointsRepo {
  private readonly insertStmt;
  private readonly latestStmt;
  private readonly listStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[number, number, string, Buffer | null, string | null, string, number]>(
      `INSERT INTO checkpoints (run_id, step, hash, data, path, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, step) DO UPDATE SET hash = excluded.hash, data = excluded.data, path = excluded.path,
         state = excluded.state, created_at = excluded.created_at`,
    );
    this.latestStmt = db.prepare<[number], CheckpointRow>(
      'SELECT * FROM checkpoints WHERE run_id = ? ORDER BY step DESC LIMIT 1',
    );
    this.listStmt = db.prepare<[number], Omit<CheckpointRow, 'data'>>(
      'SELECT id, run_id, step, hash, path, state, created_at FROM checkpoints WHERE run_id = ? ORDER BY step',
    );
  }

  save(runId: number, step: number, hash: string, payload: { data?: Buffer; path?: string }, state: unknown, now: number): void {
    this.insertStmt.run(runId, step, hash, payload.data ?? null, payload.path ?? null, JSON.stringify(state), now);
  }

  latest(runId: number): CheckpointRow | undefined {
    return this.latestStmt.get(runId);
  }

  list(runId: number): Omit<CheckpointRow, 'data'>[] {
    return this.listStmt.all(runId);
  }
}
