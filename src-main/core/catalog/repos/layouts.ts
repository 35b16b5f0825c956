import type { Db } from '../database.ts';

export interface StoredLayout {
  source: string;
  stamp: string;
  params: Record<string, unknown>;
  ids: Int32Array;
  /** ids.length * 2 coordinates. */
  xy: Float32Array;
  seconds: number;
  createdAt: number;
}

/** The layouts table: one cached 2-D map per source (an encoder or a run). */
export class LayoutsRepo {
  private readonly getStmt;
  private readonly putStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string], { source: string; stamp: string; params: string; points: number; xy: Buffer; seconds: number; created_at: number }>(
      'SELECT * FROM layouts WHERE source = ?',
    );
    this.putStmt = db.prepare<[string, string, string, number, Buffer, number, number]>(
      `INSERT INTO layouts (source, stamp, params, points, xy, seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET stamp = excluded.stamp, params = excluded.params, points = excluded.points,
         xy = excluded.xy, seconds = excluded.seconds, created_at = excluded.created_at`,
    );
    this.deleteStmt = db.prepare<[string]>('DELETE FROM layouts WHERE source = ?');
  }

  get(source: string): StoredLayout | undefined {
    const row = this.getStmt.get(source);
    if (!row) return undefined;
    // Copy out of SQLite's buffer (any alignment), then split the interleaved rows.
    const bytes = new Uint8Array(row.xy.byteLength);
    bytes.set(row.xy);
    const view = new DataView(bytes.buffer);
    const ids = new Int32Array(row.points);
    const xy = new Float32Array(row.points * 2);
    for (let i = 0; i < row.points; i++) {
      ids[i] = view.getInt32(i * 12, true);
      xy[i * 2] = view.getFloat32(i * 12 + 4, true);
      xy[i * 2 + 1] = view.getFloat32(i * 12 + 8, true);
    }
    return { source: row.source, stamp: row.stamp, params: JSON.parse(row.params) as Record<string, unknown>, ids, xy, seconds: row.seconds, createdAt: row.created_at };
  }

  put(l: StoredLayout): void {
    const buf = Buffer.alloc(l.ids.length * 12);
    for (let i = 0; i < l.ids.length; i++) {
      buf.writeInt32LE(l.ids[i]!, i * 12);
      buf.writeFloatLE(l.xy[i * 2]!, i * 12 + 4);
      buf.writeFloatLE(l.xy[i * 2 + 1]!, i * 12 + 8);
    }
    this.putStmt.run(l.source, l.stamp, JSON.stringify(l.params), l.ids.length, buf, l.seconds, l.createdAt);
  }

  delete(source: string): number {
    return this.deleteStmt.run(source).changes;
  }
}
