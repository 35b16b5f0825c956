// The store's schema in Postgres, managed as the catalog's is: numbered migrations applied in one
// transaction, the applied version kept in a table, and a schema newer than this app refused. The
// vectors of each collection live in their own table (altmoe_v_<id>): pgvector's HNSW index needs a
// column of one fixed dimension, and dropping a replaced model's collection is one DROP TABLE.
import type pg from 'pg';
import { inTransaction, StoreError, storeError, type StoreTarget } from './connect.ts';

interface PgMigration {
  version: number;
  sql: string;
}

const MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    sql: `
      CREATE EXTENSION IF NOT EXISTS vector;
      -- One row per searchable set of vectors of one catalog: an encoder's model as it is, or a
      -- connector run's gallery for a pair, as the local collection names it.
      CREATE TABLE altmoe_collections (
        id serial PRIMARY KEY,
        catalog text NOT NULL,
        name text NOT NULL,
        encoder text NOT NULL,
        model_hash text NOT NULL,
        run_id integer NOT NULL DEFAULT 0,
        source text NOT NULL DEFAULT '',
        modality text NOT NULL CHECK (modality IN ('image', 'text', 'audio')),
        dim integer NOT NULL CHECK (dim > 0),
        kind text NOT NULL CHECK (kind IN ('vector', 'halfvec')),
        -- False while a push is writing it (or was killed doing so); a push again finishes it.
        complete boolean NOT NULL DEFAULT false,
        rows bigint NOT NULL DEFAULT 0,
        pushed_at timestamptz,
        UNIQUE (catalog, name)
      );
    `,
  },
];

export const STORE_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

async function versionOf(client: pg.PoolClient): Promise<number | null> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('altmoe_schema')::text AS t");
  if (!exists.rows[0]?.t) return null;
  const row = await client.query<{ version: number }>('SELECT version FROM altmoe_schema');
  return row.rows[0]?.version ?? 0;
}

function refuseNewer(version: number, target: StoreTarget): void {
  if (version > STORE_SCHEMA_VERSION) {
    throw new StoreError(`the store at ${target.where} has schema version ${version}, newer than this app's ${STORE_SCHEMA_VERSION}: update AltMoE Studio`);
  }
}

/** Brings the store's schema up to date (for a push), creating it on an empty database. */
export async function migrateStore(pool: pg.Pool, target: StoreTarget): Promise<void> {
  const available = await pool.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").catch((err: unknown) => {
    throw storeError(err, target);
  });
  if (available.rowCount === 0) throw new StoreError(`the store at ${target.where} has no pgvector extension: install pgvector on the server (https://github.com/pgvector/pgvector)`);
  await inTransaction(pool, target, async (client) => {
    await client.query('CREATE TABLE IF NOT EXISTS altmoe_schema (version integer NOT NULL)');
    // Two pushes migrating at once: the second waits here, then sees the first one's version.
    await client.query('LOCK TABLE altmoe_schema IN EXCLUSIVE MODE');
    const version = (await versionOf(client)) ?? 0;
    refuseNewer(version, target);
    for (const m of MIGRATIONS) if (m.version > version) await client.query(m.sql);
    if (version === 0) await client.query('INSERT INTO altmoe_schema (version) VALUES ($1)', [STORE_SCHEMA_VERSION]);
    else if (version < STORE_SCHEMA_VERSION) await client.query('UPDATE altmoe_schema SET version = $1', [STORE_SCHEMA_VERSION]);
  });
}

/** Checks, without writing, that the store holds this app's schema (for a search). */
export async function checkStoreSchema(pool: pg.Pool, target: StoreTarget): Promise<void> {
  const client = await pool.connect();
  try {
    const version = await versionOf(client);
    if (version === null) throw new StoreError(`the store at ${target.where} holds no AltMoE vectors yet: run "altmoe store push --to URL" first`);
    refuseNewer(version, target);
    if (version < STORE_SCHEMA_VERSION) throw new StoreError(`the store at ${target.where} has schema version ${version}, older than this app's ${STORE_SCHEMA_VERSION}: run "altmoe store push --to URL" to upgrade it`);
  } catch (err) {
    throw storeError(err, target);
  } finally {
    client.release();
  }
}

/** The table holding a collection's vectors. */
export function vectorTable(collectionId: number): string {
  return `altmoe_v_${collectionId}`;
}
