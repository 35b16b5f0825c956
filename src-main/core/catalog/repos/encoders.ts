import type { Modality } from '../../../../src-shared/types.ts';
import type { Db } from '../database.ts';

export interface EncoderRow {
  id: number;
  name: string;
  modality: Modality;
  dim: number;
  file_hash: string;
  source: string;
  meta: string;
  created_at: number;
}

export interface NewEncoder {
  name: string;
  modality: Modality;
  dim: number;
  fileHash: string;
  source: string;
  meta?: string;
}

export class EncodersRepo {
  private readonly byName;
  private readonly all;
  private readonly insertStmt;
  private readonly updateStmt;

  constructor(db: Db) {
    this.byName = db.prepare<[string], EncoderRow>('SELECT * FROM encoders WHERE name = ?');
    this.all = db.prepare<[], EncoderRow>('SELECT * FROM encoders ORDER BY name');
    this.insertStmt = db.prepare<[string, string, number, string, string, string, number]>(
      'INSERT INTO encoders (name, modality, dim, file_hash, source, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.updateStmt = db.prepare<[number, string, string, string, number]>(
      'UPDATE encoders SET dim = ?, file_hash = ?, source = ?, meta = ? WHERE id = ?',
    );
  }

  get(name: string): EncoderRow | undefined {
    return this.byName.get(name);
  }

  list(): EncoderRow[] {
    return this.all.all();
  }

  insert(enc: NewEncoder, now: number): number {
    const info = this.insertStmt.run(enc.name, enc.modality, enc.dim, enc.fileHash, enc.source, enc.meta ?? '{}', now);
    return Number(info.lastInsertRowid);
  }

  /**
   * Points an encoder at a new model. Its old vectors no longer match its hash: the caller deletes
   * them in the same transaction (Catalog.replaceEncoderModel), so stale vectors never linger.
   */
  update(id: number, enc: Omit<NewEncoder, 'name' | 'modality'>): void {
    this.updateStmt.run(enc.dim, enc.fileHash, enc.source, enc.meta ?? '{}', id);
  }
}
