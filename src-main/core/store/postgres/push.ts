// altmoe store push: copies a catalog's collections into PostgreSQL + pgvector. Each collection (an
// encoder's current vectors, or a run's gallery for a pair, pre-mapped so a query is one lookup)
// becomes a table of unit vectors keyed by catalog item, with an HNSW index (cosine). A push is
// incremental: every row carries a stamp of what it was made from (vector bytes and item fields),
// so only new or changed rows are sent and rows of removed items are deleted. Rows are written in
// batches, each its own transaction: a push killed half-way keeps what it committed, and the next
// push sends only the rest. A replaced model's or run's collection is dropped, never mixed in.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Modality, Split } from '../../../../src-shared/types.ts';
import type { Catalog } from '../../catalog/catalog.ts';
import { UserError } from '../../util/errors.ts';
import { decodeRunConfig, servedFor } from '../../runs/config.ts';
import type { RowMapper } from '../../model/row-mapper.ts';
import { galleryMapper } from '../../model/served.ts';
import { UnavailableError } from '../errors.ts';
import { pickRun, servedStamp } from '../pick-run.ts';
import { collectionDim, collectionRows, type GalleryFor } from '../gallery.ts';
import { collectionName, type Collection } from '../store.ts';
import { inTransaction, openPool, StoreError, storeError, storeTarget, type StoreTarget } from './connect.ts';
import { vectorLiteral } from './literal.ts';
import { migrateStore, vectorTable } from './schema.ts';

export interface PushOptions {
  /** Only this encoder's own vectors (with `run`: those and the run's). */
  encoder?: string;
  /** Only this run's galleries (with `encoder`: those and the encoder's). */
  run?: number;
  /** Store half-precision vectors (halfvec): half the space; scores then carry about 3 digits. */
  halfvec?: boolean;
  /** Rows per transaction (default 500). */
  batch?: number;
  /** HNSW build parameters (pgvector's defaults: m 16, ef_construction 64). */
  m?: number;
  efConstruction?: number;
  onProgress?: (p: PushProgress) => void;
  signal?: AbortSignal;
}

export interface PushProgress {
  collection: string;
  /** Rows of this collection looked at so far, of `total`. */
  done: number;
  total: number;
  sent: number;
}

export interface CollectionReport {
  name: string;
  what: string;
  rows: number;
  sent: number;
  unchanged: number;
  deleted: number;
  indexSeconds: number;
}

export interface PushReport {
  store: string;
  collections: CollectionReport[];
  /** Collections of replaced models or runs, dropped. */
  dropped: number;
  seconds: number;
}

/** What each collection is, for messages. */
function describe(c: Collection): string {
  return c.run ? `run ${c.run.id} (${c.run.source} -> ${c.encoder.modality})` : `encoder ${c.encoder.name}`;
}

/** The collections a push copies: as asked, or every encoder's and every pair's default run. */
export function collectionsToPush(catalog: Catalog, options: Pick<PushOptions, 'encoder' | 'run'>): Collection[] {
  const out: Collection[] = [];
  const encoders = catalog.encoders.list().filter((e) => catalog.embeddings.count(e.id) > 0);
  if (options.encoder !== undefined) {
    const e = catalog.encoders.get(options.encoder);
    if (!e) throw new UserError(`no encoder named "${options.encoder}"`);
    if (catalog.embeddings.count(e.id) === 0) throw new UserError(`encoder "${e.name}" has no vectors yet: run "altmoe embed" first`);
    out.push({ encoder: e, run: null, served: '' });
  } else if (options.run === undefined) {
    for (const e of encoders) out.push({ encoder: e, run: null, served: '' });
  }
  const addRun = (source: Modality, target: Modality, runId?: number): void => {
    let run;
    try {
      run = pickRun(catalog, source, target, runId);
    } catch (err) {
      // By default a pair without a trained run is simply not pushed.
      if (runId === undefined && err instanceof UnavailableError) return;
      throw err;
    }
    const encoder = catalog.encoders.get(run.config.encoders[target]!.name)!;
    const c: Collection = { encoder, run: { id: run.id, config: run.config, source }, served: servedStamp(catalog, run) };
    if (!out.some((x) => collectionName(x) === collectionName(c))) out.push(c);
  };
  if (options.run !== undefined) {
    const row = catalog.runs.get(options.run);
    if (!row) throw new UserError(`no run ${options.run}`);
    if (!catalog.checkpoints.latest(options.run)) throw new UserError(`run ${options.run} has no checkpoint yet: train it first`);
    for (const [a, b] of decodeRunConfig(row.config).pairs) {
      addRun(a, b, options.run);
      addRun(b, a, options.run);
    }
  } else if (options.encoder === undefined) {
    const modalities = [...new Set(encoders.map((e) => e.modality))];
    for (const a of modalities) for (const b of modalities) if (a !== b) addRun(a, b);
  }
  if (out.length === 0) throw new UserError('nothing to push: embed a dataset first ("altmoe embed")');
  return out;
}

/** Pushes the chosen collections of a catalog to a Postgres store. */
export async function pushToStore(catalog: Catalog, url: string, options: PushOptions = {}): Promise<PushReport> {
  const started = Date.now();
  const target = storeTarget(url);
  const collections = collectionsToPush(catalog, options);
  const pool = await openPool(target, 2);
  const mappers = new Map<string, Promise<RowMapper>>();
  const gallery: GalleryFor = (run, modality) => {
    const key = `${run.id}:${run.source}`;
    let m = mappers.get(key);
    if (!m) {
      m = galleryMapper(servedFor(run.config, run.source, modality), modality);
      mappers.set(key, m);
    }
    return m;
  };
  try {
    await migrateStore(pool, target);
    const splits = splitsOfItems(catalog);
    const reports: CollectionReport[] = [];
    let dropped = 0;
    for (const c of collections) {
      const r = await pushCollection(catalog, pool, target, c, gallery, splits, options);
      dropped += r.dropped;
      reports.push(r.report);
    }
    return { store: target.where, collections: reports, dropped, seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const m of mappers.values()) await (await m.catch(() => null))?.release();
    await pool.end().catch(() => {});
  }
}

/** Every item's splits (through the pairs it belongs to). */
function splitsOfItems(catalog: Catalog): Map<number, Split[]> {
  const out = new Map<number, Split[]>();
  for (const split of ['train', 'val', 'test'] as const) {
    for (const id of catalog.pairs.itemsInSplits([split])) {
      const list = out.get(id);
      if (list) list.push(split);
      else out.set(id, [split]);
    }
  }
  return out;
}

interface Row {
  id: number;
  stamp: string;
  dataset: string;
  modality: string;
  key: string;
  path: string | null;
  text: string | null;
  splits: string;
  embedding: string;
}

async function pushCollection(
  catalog: Catalog,
  pool: pg.Pool,
  target: StoreTarget,
  c: Collection,
  gallery: GalleryFor,
  splits: Map<number, Split[]>,
  options: PushOptions,
): Promise<{ report: CollectionReport; dropped: number }> {
  const name = collectionName(c);
  const kind = options.halfvec ? 'halfvec' : 'vector';
  const dim = await collectionDim(c, gallery);
  if (dim > (kind === 'halfvec' ? 4000 : 2000)) throw new StoreError(`${describe(c)} has ${dim} dimensions, more than pgvector's HNSW index takes for ${kind} (${kind === 'halfvec' ? 4000 : 2000})${kind === 'vector' ? ': push with --halfvec' : ''}`);
  const q = async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>> => {
    try {
      return await pool.query<R>(sql, params);
    } catch (err) {
      throw storeError(err, target);
    }
  };
  const tx = (fn: (client: pg.PoolClient) => Promise<void>): Promise<void> => inTransaction(pool, target, fn);
  const catalogId = catalog.info.catalogId();
  let id = 0;
  let dropped = 0;
  await tx(async (client) => {
    // Collections this one replaces (the encoder's older model, the run's older checkpoint).
    const stale = await client.query<{ id: number }>('SELECT id FROM altmoe_collections WHERE catalog = $1 AND encoder = $2 AND run_id = $3 AND source = $4 AND name <> $5', [
      catalogId,
      c.encoder.name,
      c.run?.id ?? 0,
      c.run?.source ?? '',
      name,
    ]);
    for (const s of stale.rows) {
      await client.query(`DROP TABLE IF EXISTS ${vectorTable(s.id)}`);
      await client.query('DELETE FROM altmoe_collections WHERE id = $1', [s.id]);
      dropped++;
    }
    const row = await client.query<{ id: number; kind: string; dim: number }>(
      `INSERT INTO altmoe_collections (catalog, name, encoder, model_hash, run_id, source, modality, dim, kind)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (catalog, name) DO UPDATE SET complete = false
       RETURNING id, kind, dim`,
      [catalogId, name, c.encoder.name, c.encoder.file_hash, c.run?.id ?? 0, c.run?.source ?? '', c.encoder.modality, dim, kind],
    );
    id = row.rows[0]!.id;
    // Asked for the other precision: the rows are rewritten from scratch.
    if (row.rows[0]!.kind !== kind || row.rows[0]!.dim !== dim) {
      await client.query(`DROP TABLE IF EXISTS ${vectorTable(id)}`);
      await client.query('UPDATE altmoe_collections SET kind = $1, dim = $2 WHERE id = $3', [kind, dim, id]);
    }
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${vectorTable(id)} (
        item_id integer PRIMARY KEY,
        stamp text NOT NULL,
        dataset text NOT NULL,
        modality text NOT NULL,
        key text NOT NULL,
        path text,
        text text,
        splits text[] NOT NULL,
        embedding ${kind}(${dim}) NOT NULL
      )`,
    );
  });
  const table = vectorTable(id);
  const stored = new Map((await q<{ item_id: number; stamp: string }>(`SELECT item_id, stamp FROM ${table}`)).rows.map((r) => [r.item_id, r.stamp]));
  const datasetNames = new Map(catalog.datasets.list().map((d) => [d.id, d.name]));
  const total = catalog.embeddings.count(c.encoder.id);
  const seen = new Set<number>();
  let done = 0;
  let sent = 0;
  let unchanged = 0;
  for await (const block of collectionRows(catalog, c, gallery, options.batch ?? 500)) {
    if (options.signal?.aborted) throw new UserError('the push was cancelled; push again to finish it');
    const rows: Row[] = [];
    for (let i = 0; i < block.ids.length; i++) {
      const itemId = block.ids[i]!;
      seen.add(itemId);
      const item = catalog.items.getById(itemId)!;
      const itemSplits = (splits.get(itemId) ?? []).join(',');
      const dataset = datasetNames.get(block.datasets[i]!)!;
      const stamp = createHash('sha1').update(block.raw[i]!).update(JSON.stringify([dataset, item.key, item.path, item.text, itemSplits])).digest('base64');
      if (stored.get(itemId) === stamp) {
        unchanged++;
        continue;
      }
      rows.push({ id: itemId, stamp, dataset, modality: item.modality, key: item.key, path: item.path, text: item.text, splits: itemSplits, embedding: vectorLiteral(block.unit.subarray(i * dim, (i + 1) * dim)) });
    }
    if (rows.length > 0) await tx((client) => upsertRows(client, table, kind, rows).then(() => undefined));
    done += block.ids.length;
    sent += rows.length;
    options.onProgress?.({ collection: describe(c), done, total, sent });
  }
  // Rows of items no longer in the catalog (or no longer embedded).
  const gone = [...stored.keys()].filter((itemId) => !seen.has(itemId));
  if (gone.length > 0) await q(`DELETE FROM ${table} WHERE item_id = ANY($1::integer[])`, [gone]);
  const indexStart = Date.now();
  const m = options.m ?? 16;
  const ef = options.efConstruction ?? 64;
  await tx(async (client) => {
    // pgvector builds the graph in maintenance_work_mem and, when it does not fit, on disk, many
    // times slower; the session default (64 MB) holds ~25k vectors of d=512. This build alone gets
    // room for the whole graph (capped at 1 GB; raise the server's setting beyond that).
    const bytes = seen.size * (dim * (kind === 'halfvec' ? 2 : 4) + m * 2 * 8 + 128) * 1.3;
    const mb = Math.min(1024, Math.max(64, Math.ceil(bytes / 2 ** 20)));
    await client.query(`SET LOCAL maintenance_work_mem = '${mb}MB'`);
    await client.query(`CREATE INDEX IF NOT EXISTS ${table}_hnsw ON ${table} USING hnsw (embedding ${kind}_cosine_ops) WITH (m = ${m}, ef_construction = ${ef})`);
  });
  const indexSeconds = (Date.now() - indexStart) / 1000;
  // Fresh statistics: without them the planner misjudges a scan of the (TOASTed) vectors as cheap
  // and skips the HNSW index at small ef_search.
  if (sent > 0 || gone.length > 0) await q(`ANALYZE ${table}`);
  await q('UPDATE altmoe_collections SET complete = true, rows = $1, pushed_at = now() WHERE id = $2', [seen.size, id]);
  return { report: { name, what: describe(c), rows: seen.size, sent, unchanged, deleted: gone.length, indexSeconds }, dropped };
}

/** One batch of rows, inserted or replaced, as column arrays (nine parameters whatever the batch size). */
function upsertRows(client: pg.PoolClient, table: string, kind: string, rows: Row[]): Promise<pg.QueryResult> {
  return client.query(
    `INSERT INTO ${table} (item_id, stamp, dataset, modality, key, path, text, splits, embedding)
     SELECT id, stamp, dataset, modality, key, path, text,
            CASE WHEN splits = '' THEN '{}'::text[] ELSE string_to_array(splits, ',') END, embedding::${kind}
     FROM unnest($1::integer[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
       AS r(id, stamp, dataset, modality, key, path, text, splits, embedding)
     ON CONFLICT (item_id) DO UPDATE SET stamp = excluded.stamp, dataset = excluded.dataset, modality = excluded.modality,
       key = excluded.key, path = excluded.path, text = excluded.text, splits = excluded.splits, embedding = excluded.embedding`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.stamp),
      rows.map((r) => r.dataset),
      rows.map((r) => r.modality),
      rows.map((r) => r.key),
      rows.map((r) => r.path),
      rows.map((r) => r.text),
      rows.map((r) => r.splits),
      rows.map((r) => r.embedding),
    ],
  );
}

/** What the store holds for this catalog (altmoe store status). */
export async function storeStatus(catalog: Catalog, url: string): Promise<{ store: string; collections: { name: string; modality: string; rows: number; kind: string; complete: boolean; pushedAt: string | null }[] }> {
  const target = storeTarget(url);
  const pool = await openPool(target, 1);
  try {
    const exists = await pool.query<{ t: string | null }>("SELECT to_regclass('altmoe_collections')::text AS t");
    if (!exists.rows[0]?.t) return { store: target.where, collections: [] };
    const rows = await pool.query<{ name: string; modality: string; rows: string; kind: string; complete: boolean; pushed_at: Date | null }>(
      'SELECT name, modality, rows, kind, complete, pushed_at FROM altmoe_collections WHERE catalog = $1 ORDER BY id',
      [catalog.info.catalogId()],
    );
    return { store: target.where, collections: rows.rows.map((r) => ({ name: r.name, modality: r.modality, rows: Number(r.rows), kind: r.kind, complete: r.complete, pushedAt: r.pushed_at?.toISOString() ?? null })) };
  } catch (err) {
    throw storeError(err, target);
  } finally {
    await pool.end().catch(() => {});
  }
}
