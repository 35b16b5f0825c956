import fs from 'node:fs';
import type { CatalogStats, DatasetSummary } from '../../../src-shared/types.ts';
import { openDatabase, openedOnFullDisk, type Db, type OpenOptions } from './database.ts';
import { CatalogError, translateSqliteError } from './errors.ts';
import { LATEST_SCHEMA_VERSION } from './migrations.ts';
import { CheckpointsRepo } from './repos/checkpoints.ts';
import { DatasetsRepo } from './repos/datasets.ts';
import { EmbeddingsRepo } from './repos/embeddings.ts';
import { EncodersRepo } from './repos/encoders.ts';
import { ImportsRepo } from './repos/imports.ts';
import { InfoRepo } from './repos/info.ts';
import { ItemsRepo } from './repos/items.ts';
import { JobsRepo } from './repos/jobs.ts';
import { LayoutsRepo } from './repos/layouts.ts';
import { DuplicateMarksRepo } from './repos/duplicate-marks.ts';
import { MetricsRepo } from './repos/metrics.ts';
import { PairsRepo } from './repos/pairs.ts';
import { RunsRepo } from './repos/runs.ts';

/** The local catalog: one SQLite file with one repository object per table. */
export class Catalog {
  readonly datasets: DatasetsRepo;
  readonly imports: ImportsRepo;
  readonly items: ItemsRepo;
  readonly pairs: PairsRepo;
  readonly encoders: EncodersRepo;
  readonly embeddings: EmbeddingsRepo;
  readonly runs: RunsRepo;
  readonly checkpoints: CheckpointsRepo;
  readonly metrics: MetricsRepo;
  readonly jobs: JobsRepo;
  readonly info: InfoRepo;
  readonly layouts: LayoutsRepo;
  readonly duplicateMarks: DuplicateMarksRepo;

  private constructor(
    readonly file: string,
    readonly db: Db,
  ) {
    this.datasets = new DatasetsRepo(db);
    this.imports = new ImportsRepo(db);
    this.items = new ItemsRepo(db);
    this.pairs = new PairsRepo(db);
    this.encoders = new EncodersRepo(db);
    this.embeddings = new EmbeddingsRepo(db);
    this.runs = new RunsRepo(db);
    this.checkpoints = new CheckpointsRepo(db);
    this.metrics = new MetricsRepo(db);
    this.jobs = new JobsRepo(db);
    this.info = new InfoRepo(db);
    this.layouts = new LayoutsRepo(db);
    this.duplicateMarks = new DuplicateMarksRepo(db);
  }

  static open(file: string, options: OpenOptions = {}): Catalog {
    const db = openDatabase(file, options);
    try {
      return new Catalog(file, db);
    } catch (err) {
      db.close();
      throw translateSqliteError(err, file);
    }
  }

  get readonly(): boolean {
    return this.db.readonly;
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front, so a concurrent
   * writer fails fast instead of deadlocking half-way). Any throw rolls everything back;
   * SQLite errors come out as CatalogErrors with a readable message.
   */
  write<T>(fn: () => T): T {
    if (openedOnFullDisk(this.db)) {
      throw new CatalogError(`the disk holding the catalog is full (${this.file}): nothing can be saved until some space is freed (reading still works)`, 'DISK_FULL');
    }
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw translateSqliteError(err, this.file);
    }
  }

  /**
   * write() for bulk imports: SQLite's automatic checkpoint would copy the whole new WAL into the
   * database inside the commit, doubling the time the caller waits. The data is durable once the
   * commit returns; the copy happens at the next checkpoint() or when the catalog is closed.
   */
  bulkWrite<T>(fn: () => T): T {
    const previous = this.db.pragma('wal_autocheckpoint', { simple: true }) as number;
    this.db.pragma('wal_autocheckpoint = 0');
    try {
      return this.write(fn);
    } finally {
      this.db.pragma(`wal_autocheckpoint = ${previous}`);
    }
  }

  /** Copies the WAL into the database file and truncates it (run when idle, e.g. after an import). */
  checkpoint(): void {
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      throw translateSqliteError(err, this.file);
    }
  }

  /**
   * Switches an encoder to another model and deletes the vectors of the old one, atomically with
   * the caller's transaction: a changed model never mixes with stale vectors. Returns how many went.
   */
  replaceEncoderModel(encoderId: number, model: { dim: number; fileHash: string; source: string; meta?: string }): number {
    this.encoders.update(encoderId, model);
    return this.embeddings.deleteStaleVectors(encoderId, model.fileHash);
  }

  stats(): CatalogStats {
    const encoders = this.encoders.list();
    const datasets: DatasetSummary[] = this.datasets.list().map((d) => {
      const items = this.items.counts(d.id);
      return {
        id: d.id,
        name: d.name,
        format: d.format,
        root: d.root,
        createdAt: d.created_at,
        updatedAt: d.updated_at,
        items,
        pairs: this.pairs.counts(d.id),
        embeddings: encoders
          .map((e) => ({
            encoder: e.name,
            modality: e.modality,
            dim: e.dim,
            count: this.embeddings.count(e.id, d.id),
            of: items[e.modality] ?? 0,
          }))
          .filter((e) => e.count > 0),
      };
    });
    return {
      file: this.file,
      schemaVersion: LATEST_SCHEMA_VERSION,
      sizeBytes: fileSize(this.file) + fileSize(`${this.file}-wal`),
      datasets,
      encoders: encoders.map((e) => ({
        id: e.id,
        name: e.name,
        modality: e.modality,
        dim: e.dim,
        fileHash: e.file_hash,
        source: e.source,
        vectors: this.embeddings.count(e.id),
      })),
    };
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function fileSize(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}
