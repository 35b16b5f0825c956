// Connecting to a PostgreSQL store. Credentials come from the URL, the PG* environment variables
// or ~/.pgpass (PGPASSFILE), in libpq's order; they are never stored in the catalog or printed:
// every message names the store by its redacted URL (user, host, port and database only).
import pg from 'pg';
import { parse } from 'pg-connection-string';
import pgpass from 'pgpass';
import { UserError } from '../../util/errors.ts';

export class StoreError extends UserError {}

export interface StoreTarget {
  config: pg.PoolConfig;
  /** The URL without its password, for messages. */
  where: string;
  user: string;
}

/** Checks and parses a store URL (postgres:// or postgresql://). */
export function storeTarget(url: string): StoreTarget {
  if (!/^postgres(ql)?:\/\//i.test(url)) throw new StoreError('the store must be a postgres:// URL, e.g. postgres://user@host:5432/db');
  let parsed;
  try {
    parsed = parse(url);
  } catch {
    throw new StoreError('the store URL cannot be read: use postgres://user@host:5432/db');
  }
  const user = parsed.user || process.env.PGUSER || process.env.USER || 'postgres';
  const host = parsed.host || process.env.PGHOST || 'localhost';
  const port = Number(parsed.port || process.env.PGPORT || 5432);
  const database = parsed.database || process.env.PGDATABASE || user;
  const given = parsed.password;
  const config: pg.PoolConfig = {
    user,
    host,
    port,
    database,
    ...(parsed.options ? { options: parsed.options } : {}),
    ...(parsed.ssl !== undefined ? { ssl: parsed.ssl as pg.PoolConfig['ssl'] } : {}),
    // Asked only when the server wants one: the URL's, then PGPASSWORD, then ~/.pgpass.
    password: async () => given || process.env.PGPASSWORD || (await fromPgpass({ host, port: String(port), database, user })) || '',
    application_name: 'altmoe-studio',
    connectionTimeoutMillis: 10_000,
  };
  return { config, where: `postgres://${user}@${host}:${port}/${database}`, user };
}

function fromPgpass(info: { host: string; port: string; database: string; user: string }): Promise<string | undefined> {
  return new Promise((resolve) => pgpass(info, resolve));
}

/** A pool of connections to the store; its first connection is tried now so a bad URL fails here. */
export async function openPool(target: StoreTarget, max = 4): Promise<pg.Pool> {
  const pool = new pg.Pool({ ...target.config, max });
  // An idle client's network error must not crash the process; the next query reports it.
  pool.on('error', () => {});
  try {
    (await pool.connect()).release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw storeError(err, target);
  }
  return pool;
}

/** One line for a failure talking to the store (its code when Postgres gives one). */
export function storeError(err: unknown, target: StoreTarget): Error {
  if (err instanceof UserError) return err;
  const e = err as { code?: string; message?: string };
  const where = target.where;
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return new StoreError(`cannot reach the store at ${where} (${e.code}): is the server running?`);
    case '28P01':
    case '28000':
      return new StoreError(`the store at ${where} refused the login of "${target.user}": check the password (URL, PGPASSWORD or ~/.pgpass)`);
    case '3D000':
      return new StoreError(`the store at ${where} has no such database: create it first`);
    case '25006':
    case '42501':
      return new StoreError(`the role "${target.user}" may not write to the store at ${where} (read-only): pushing needs a role that can create tables`);
    default:
      if (/timeout/i.test(e.message ?? '')) return new StoreError(`cannot reach the store at ${where}: the connection timed out`);
      return new StoreError(`the store at ${where} failed: ${e.message ?? String(err)}`);
  }
}

/** Runs fn in one transaction on a pooled connection; any failure rolls back and becomes one line. */
export async function inTransaction<T>(pool: pg.Pool, target: StoreTarget, fn: (client: pg.PoolClient) => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
  const client = await pool.connect().catch((err: unknown) => {
    throw storeError(err, target);
  });
  try {
    await client.query(options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw storeError(err, target);
  } finally {
    client.release();
  }
}
