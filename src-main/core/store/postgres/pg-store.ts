// The PostgreSQL + pgvector store: each collection pushed by `altmoe store push` is one table of
// unit vectors with an HNSW index (cosine). A query is one nearest-neighbour lookup there, with the
// dataset, split, score and self filters in SQL; through HNSW with filters, pgvector's iterative
// index scan keeps going until k rows pass them (strict order, so the ranking stays exact-ordered).
import type pg from 'pg';
import type { Catalog } from '../../catalog/catalog.ts';
import { SearchError } from '../errors.ts';
import { collectionName, type Collection, type NearestQuery, type StoredHit, type VectorStore } from '../store.ts';
import { inTransaction, openPool, storeError, storeTarget, type StoreTarget } from './connect.ts';
import { checkStoreSchema, vectorTable } from './schema.ts';
import { vectorLiteral } from './literal.ts';

export interface PostgresSearchOptions {
  /** Scan every vector in Postgres instead of the HNSW index: exactly the local exact top-k. */
  exact?: boolean;
  /** hnsw.ef_search: candidates kept per query through HNSW (default 100; more is slower, finds more). */
  efSearch?: number;
}

interface StoredCollection {
  id: number;
  kind: 'vector' | 'halfvec';
}

export class PostgresStore implements VectorStore {
  private readonly target: StoreTarget;
  private pool: Promise<pg.Pool> | null = null;
  private readonly known = new Map<string, StoredCollection>();

  constructor(
    private readonly catalog: Catalog,
    url: string,
    private readonly options: PostgresSearchOptions = {},
  ) {
    this.target = storeTarget(url);
  }

  get describe(): string {
    return this.target.where;
  }

  async nearest(c: Collection, q: NearestQuery): Promise<StoredHit[]> {
    const pool = await this.connect();
    const stored = await this.collection(pool, c);
    const params: unknown[] = [vectorLiteral(q.vector), q.k];
    const where: string[] = [];
    const cast = stored.kind === 'halfvec' ? 'halfvec' : 'vector';
    if (q.datasets) where.push(`dataset = ANY($${params.push(q.datasets)}::text[])`);
    if (q.splits && q.splits.length > 0) where.push(`splits && $${params.push(q.splits)}::text[]`);
    if (q.exclude !== undefined) where.push(`item_id <> $${params.push(q.exclude)}`);
    if (q.minScore !== undefined) where.push(`embedding <=> $1::${cast} <= $${params.push(1 - q.minScore)}`);
    const sql = `SELECT item_id, dataset, modality, key, path, text, 1 - (embedding <=> $1::${cast}) AS score
      FROM ${vectorTable(stored.id)} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY embedding <=> $1::${cast} LIMIT $2`;
    return inTransaction(
      pool,
      this.target,
      async (client) => {
        // The query's settings in one round trip (a simple query may hold several statements).
        const settings = [`SET LOCAL hnsw.ef_search = ${Math.max(q.k, Math.round(this.options.efSearch ?? 100))}`];
        if (where.length > 0) settings.push('SET LOCAL hnsw.iterative_scan = strict_order');
        if (this.options.exact) settings.push('SET LOCAL enable_indexscan = off');
        // pgvector's cost model does not count reading the (TOASTed) vectors of a full scan, so at a
        // small ef_search the planner can prefer scanning everything. Unfiltered (but for the query
        // item itself) the index is always the better plan; selective filters are left to the planner.
        else if (!q.datasets && !(q.splits && q.splits.length > 0) && q.minScore === undefined) settings.push('SET LOCAL enable_seqscan = off');
        await client.query(settings.join('; '));
        const rows = await client.query<{ item_id: number; dataset: string; modality: StoredHit['modality']; key: string; path: string | null; text: string | null; score: number }>(sql, params);
        return rows.rows.map((r) => ({ itemId: r.item_id, dataset: r.dataset, modality: r.modality, key: r.key, path: r.path, text: r.text, score: r.score }));
      },
      { readOnly: true },
    );
  }

  async close(): Promise<void> {
    const pool = await this.pool?.catch(() => null);
    this.pool = null;
    await pool?.end();
  }

  private connect(): Promise<pg.Pool> {
    this.pool ??= (async () => {
      const pool = await openPool(this.target);
      try {
        await checkStoreSchema(pool, this.target);
      } catch (err) {
        await pool.end().catch(() => {});
        throw err;
      }
      return pool;
    })();
    // A failed connection is tried again on the next query (the server may come back).
    return this.pool.catch((err: unknown) => {
      this.pool = null;
      throw err;
    });
  }

  private async collection(pool: pg.Pool, c: Collection): Promise<StoredCollection> {
    const name = collectionName(c);
    const cached = this.known.get(name);
    if (cached) return cached;
    const found = await pool
      .query<StoredCollection>('SELECT id, kind FROM altmoe_collections WHERE catalog = $1 AND name = $2', [this.catalog.info.catalogId(), name])
      .catch((err: unknown) => {
        throw storeError(err, this.target);
      });
    const row = found.rows[0];
    if (!row) {
      const what = c.run ? `run ${c.run.id}'s ${c.run.source} -> ${c.encoder.modality} gallery` : `encoder "${c.encoder.name}"`;
      throw new SearchError(`the store at ${this.target.where} has no current vectors of ${what}: run "altmoe store push --to URL" first`);
    }
    this.known.set(name, row);
    return row;
  }
}

/** Connects once and checks the schema, so a server started on a bad store fails at start. */
export async function checkStore(url: string): Promise<string> {
  const target = storeTarget(url);
  const pool = await openPool(target, 1);
  try {
    await checkStoreSchema(pool, target);
    return target.where;
  } finally {
    await pool.end().catch(() => {});
  }
}
