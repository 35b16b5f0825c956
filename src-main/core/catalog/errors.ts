/**
 * One error type for everything the catalog refuses, with a message a user can act on.
 * SQLite's own errors are translated here so callers never show "SQLITE_FULL" to a person.
 */
import { UserError } from '../util/errors.ts';
export class CatalogError extends UserError {
  constructor(
    message: string,
    readonly code: string = 'CATALOG',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CatalogError';
  }
}

interface SqliteLikeError {
  code?: unknown;
  message?: unknown;
}

/** Translates a better-sqlite3 error into a CatalogError; other errors pass through unchanged. */
export function translateSqliteError(err: unknown, file: string): unknown {
  if (err instanceof CatalogError) return err;
  const e = err as SqliteLikeError;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (!code.startsWith('SQLITE_')) return err;
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' && /space/i.test(String(e.message))) {
    return new CatalogError(
      `the disk holding the catalog is full (${file}): the last change was not saved (earlier ones are kept); free some space and try again`,
      'DISK_FULL',
      { cause: err },
    );
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new CatalogError(
      `the catalog is read-only (${file}); nothing was written. Check the file's permissions or choose another catalog with --catalog`,
      'READ_ONLY',
      { cause: err },
    );
  }
  if (code === 'SQLITE_NOTADB') {
    return new CatalogError(`${file} is not an AltMoE catalog (not a SQLite database)`, 'NOT_A_CATALOG', { cause: err });
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new CatalogError(`the catalog ${file} is damaged (${String(e.message)})`, 'CORRUPT', { cause: err });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new CatalogError(`the catalog ${file} is busy: another process is writing to it`, 'BUSY', { cause: err });
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new CatalogError(`cannot open the catalog ${file} (does its folder exist and is it writable?)`, 'CANT_OPEN', {
      cause: err,
    });
  }
  return err;
}
