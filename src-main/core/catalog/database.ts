import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CatalogError, translateSqliteError } from './errors.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.ts';

export type Db = Database.Database;

// better-sqlite3 reads this when its native part loads (at the first connection): file: URIs, for
// the read-only fallback below. Catalog paths never start with "file:" (see sqlitePath).
process.env.SQLITE_USE_URI ??= '1';

/** The path as SQLite must see it once URIs are on: a relative path starting with "file:" stays a path. */
const sqlitePath = (file: string): string => (file.startsWith('file:') ? `./${file}` : file);

/** Errors of a disk with no room left for the WAL's shared-memory file or the next page. */
const NO_ROOM = new Set(['SQLITE_FULL', 'SQLITE_IOERR_SHMSIZE', 'SQLITE_IOERR_SHMMAP', 'SQLITE_IOERR_SHMOPEN', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_TRUNCATE']);

/** Connections opened read-only because the disk is full: their writes are reported as such. */
const onFullDisk = new WeakSet<Db>();
export const openedOnFullDisk = (db: Db): boolean => onFullDisk.has(db);

/**
 * A full disk can leave no room for the -shm file a WAL database needs to open at all. A catalog
 * with no (or an empty) -wal file has everything in its main file, so it can still be read as an immutable file
 * (no locks, no -shm): lists, stats and searches keep working, and any write says the disk is full.
 */
function openOnFullDisk(file: string, err: unknown): Db | null {
  const code = (err as { code?: unknown })?.code;
  // An empty -wal (a failed open may leave one) holds nothing either.
  const wal = `${file}-wal`;
  if (typeof code !== 'string' || !NO_ROOM.has(code) || (fs.existsSync(wal) && fs.statSync(wal).size > 0)) return null;
  try {
    const db = new Database(`file:${encodeURI(path.resolve(file)).replace(/\?/g, '%3f').replace(/#/g, '%23')}?immutable=1`, { readonly: true, fileMustExist: true });
    if ((db.pragma('user_version', { simple: true }) as number) !== LATEST_SCHEMA_VERSION) {
      db.close();
      return null;
    }
    onFullDisk.add(db);
    return db;
  } catch {
    return null;
  }
}

export interface OpenOptions {
  /** Open without write access; every write then fails with a READ_ONLY CatalogError. */
  readonly?: boolean;
  /** Create the file when it does not exist (default true, ignored when readonly). */
  create?: boolean;
}

/**
 * Opens (and creates or migrates) a catalog database file.
 * Refuses files written by a newer schema, turns on WAL and foreign keys.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const exists = fs.existsSync(file);
  const readonly = options.readonly === true || (exists && !isWritable(file));
  if (!exists && (readonly || options.create === false)) {
    throw new CatalogError(`no catalog at ${file} (run "altmoe init" first)`, 'NO_CATALOG');
  }
  if (!exists) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });

  let db: Db;
  try {
    db = new Database(sqlitePath(file), { readonly, fileMustExist: exists || readonly });
  } catch (err) {
    const fallback = exists ? openOnFullDisk(file, err) : null;
    if (fallback) return fallback;
    throw translateSqliteError(err, file);
  }
  let version: number;
  try {
    // Reading the schema version is the first statement that touches the file: it fails on a non-database.
    version = db.pragma('user_version', { simple: true }) as number;
  } catch (err) {
    db.close();
    const fallback = exists ? openOnFullDisk(file, err) : null;
    if (fallback) return fallback;
    throw translateSqliteError(err, file);
  }
  try {
    if (version > LATEST_SCHEMA_VERSION) {
      throw new CatalogError(
        `the catalog ${file} was written by a newer version of AltMoE Studio (schema ${version}, this version knows up to ${LATEST_SCHEMA_VERSION}); update the app or use another catalog`,
        'NEWER_SCHEMA',
      );
    }
    if (!readonly) {
      // Vectors are 2-16 KB each: with 64 KB pages they sit inline instead of in overflow chains,
      // which triples bulk vector writes. Only takes effect on a new, empty file.
      if (version === 0) db.pragma('page_size = 65536');
      db.pragma('journal_mode = WAL');
      // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commit.
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Up to 64 MB of page cache (allocated only as used): large imports touch big indexes.
    db.pragma('cache_size = -65536');
    if (version < LATEST_SCHEMA_VERSION) {
      if (readonly) {
        throw new CatalogError(
          `the catalog ${file} needs an upgrade (schema ${version} -> ${LATEST_SCHEMA_VERSION}) but it is read-only`,
          'READ_ONLY',
        );
      }
      migrate(db, version, MIGRATIONS);
    }
    return db;
  } catch (err) {
    db.close();
    throw translateSqliteError(err, file);
  }
}

/** Applies every migration newer than `from`, all in one transaction, and records the version. */
export function migrate(db: Db, from: number, migrations: readonly Migration[]): void {
  const pending = migrations.filter((m) => m.version > from).sort((a, b) => a.version - b.version);
  if (pending.length === 0) return;
  // Migrations that rebuild a table drop the old one: with foreign keys on, that would cascade into
  // the rows that point at it. SQLite's procedure: keys off outside the transaction, check inside.
  const keys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      for (const m of pending) db.exec(m.sql);
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length > 0) throw new CatalogError(`the catalog upgrade would break ${broken.length} reference(s); nothing was changed`, 'MIGRATION');
      db.pragma(`user_version = ${pending[pending.length - 1]!.version}`);
    }).immediate();
  } finally {
    db.pragma(`foreign_keys = ${keys ? 'ON' : 'OFF'}`);
  }
}

function isWritable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
