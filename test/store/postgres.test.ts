// The PostgreSQL + pgvector store, for real: a pgvector server (PGlite + pglite-pgvector behind
// pglite-socket, on a free loopback port) that the ordinary `pg` client talks to as to any Postgres.
// The catalog is pushed through the CLI as a user would, then searched through the same engine with
// the store swapped: exact scans give exactly the local exact top-k, HNSW keeps recall@10 >= 0.95.
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SearchHit } from '../../src-shared/api.ts';
import type { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { runCli } from '../../src-main/core/cli/main.ts';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { importVectors } from '../../src-main/core/datasets/vectors.ts';
import { SearchEngine } from '../../src-main/core/search/engine.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { validatePayload } from '../../src-main/core/service/validate.ts';
import { tempDir, writeFiles, writeNpy } from '../helpers.ts';
import { DIMS } from '../runs/fixtures.ts';
import { trainedCatalogCopy } from '../shared-fixtures.ts';
import { startPgServer, type PgServer } from './pg-server.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/altmoe.js');

async function cli(file: string, args: string[]): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  let out = '';
  const io = { out: (t: string) => (out += `${t}\n`), err: { write: (t: string) => ((err += t), true) } as unknown as NodeJS.WriteStream };
  const code = await runCli([...args, '--catalog', file], io);
  return { code, err, out };
}

const ids = (hits: SearchHit[]): number[] => hits.map((h) => h.itemId);

function expectSameHits(actual: SearchHit[], expected: SearchHit[]): void {
  expect(ids(actual)).toEqual(ids(expected));
  actual.forEach((h, i) => {
    const e = expected[i]!;
    expect({ ...h, score: 0 }).toEqual({ ...e, score: 0 });
    expect(Math.abs(h.score - e.score)).toBeLessThan(1e-5 + 1e-5 * Math.abs(e.score));
  });
}

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

describe('PostgreSQL + pgvector store', () => {
  let server: PgServer;
  let c: Catalog;
  let runId: number;

  beforeAll(async () => {
    server = await startPgServer();
  }, 60_000);
  // A fresh catalog per case (the helpers remove temp folders after each test); each has its own
  // catalog id, so the cases share the server without seeing each other's collections.
  beforeEach(async () => {
    ({ c, runId } = await trainedCatalogCopy());
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('a default push copies every encoder and the default run; Postgres search equals local exact search', async () => {
    // The first case: nobody has pushed to this server yet.
    const none = await cli(c.file, ['search', '--item', '1', '--to', 'image', '--store', server.url]);
    expect(none.err).toMatch(/holds no AltMoE vectors yet: run "altmoe store push --to URL" first\n$/);
    expect((await cli(c.file, ['store', 'status', '--to', server.url])).out).toMatch(/holds nothing of this catalog yet/);

    const pushed = await cli(c.file, ['store', 'push', '--to', server.url]);
    expect(pushed.err.split('\n').filter((l) => /error/.test(l))).toEqual([]);
    expect(pushed.code).toBe(0);
    expect(pushed.out).toMatch(/encoder img-enc/);
    expect(pushed.out).toMatch(/encoder txt-enc/);
    expect(pushed.out).toMatch(new RegExp(`run ${runId} \\(image -> text\\)`));
    expect(pushed.out).toMatch(new RegExp(`run ${runId} \\(text -> image\\)`));

    const local = new SearchEngine(c);
    const exact = new SearchEngine(c, { store: server.url, exact: true });
    const hnsw = new SearchEngine(c, { store: server.url });
    try {
      const items = c.db.prepare("SELECT id FROM items WHERE modality = 'image' ORDER BY id LIMIT 20").all() as { id: number }[];
      const texts = c.db.prepare("SELECT id FROM items WHERE modality = 'text' ORDER BY id LIMIT 10").all() as { id: number }[];
      let found = 0;
      let wanted = 0;
      for (const { id } of [...items, ...texts]) {
        for (const to of ['image', 'text'] as const) {
          const want = await local.searchByItem({ item: id, to: [to], k: 10 });
          expectSameHits(await exact.searchByItem({ item: id, to: [to], k: 10 }), want);
          const approx = new Set(ids(await hnsw.searchByItem({ item: id, to: [to], k: 10 })));
          found += ids(want).filter((x) => approx.has(x)).length;
          wanted += want.length;
        }
      }
      expect(found / wanted).toBeGreaterThanOrEqual(0.95);

      // Filters run in SQL and agree with the local ones: splits, datasets, a score floor.
      const q = { item: items[3]!.id, to: ['text' as const], k: 15 };
      for (const extra of [{ splits: ['test' as const] }, { splits: ['val' as const, 'test' as const] }, { datasets: ['synth'] }]) {
        expectSameHits(await exact.searchByItem({ ...q, ...extra }), await local.searchByItem({ ...q, ...extra }));
        expect(ids(await hnsw.searchByItem({ ...q, ...extra }))).toEqual(ids(await local.searchByItem({ ...q, ...extra })));
      }
      const all = await local.searchByItem(q);
      const floor = all[6]!.score;
      expectSameHits(await exact.searchByItem({ ...q, minScore: floor }), await local.searchByItem({ ...q, minScore: floor }));
    } finally {
      await Promise.all([local.close(), exact.close(), hnsw.close()]);
    }

    // The CLI's search through the store prints what the local search prints.
    const item = String((c.db.prepare("SELECT id FROM items WHERE modality = 'image' ORDER BY id LIMIT 1").get() as { id: number }).id);
    const viaStore = await cli(c.file, ['search', '--item', item, '--to', 'text,image', '--store', server.url, '--exact', '--json']);
    const viaLocal = await cli(c.file, ['search', '--item', item, '--to', 'text,image', '--json']);
    expect(viaStore.code).toBe(0);
    const a = JSON.parse(viaStore.out) as SearchHit[];
    expectSameHits(a, JSON.parse(viaLocal.out) as SearchHit[]);
    expect(a.length).toBe(20);

    // The service (HTTP and IPC API) started on the store answers the same, sections included;
    // with its defaults (as `serve --store URL` starts it: HNSW) it finds the same neighbours.
    const service = new EngineService(c, { version: 't', mode: 'server', store: server.url, exact: true });
    const defaults = new EngineService(c, { version: 't', mode: 'server', store: server.url });
    try {
      const payload = validatePayload('search:query', { query: { item: Number(item) }, to: ['text', 'image'], k: 10 });
      const r = await service.handle('search:query', payload);
      expectSameHits(r.hits, JSON.parse(viaLocal.out) as SearchHit[]);
      expect(r.unavailable).toEqual([]);
      const d = await defaults.handle('search:query', payload);
      const want = new Set(ids(JSON.parse(viaLocal.out) as SearchHit[]));
      expect(ids(d.hits).filter((x) => want.has(x)).length / want.size).toBeGreaterThanOrEqual(0.95);
    } finally {
      await service.close();
      await defaults.close();
    }
  }, 240_000);

  it('pushes again incrementally: only new rows are sent, and a new import is searchable', async () => {
    expect((await cli(c.file, ['store', 'push', '--to', server.url])).code).toBe(0);
    const again = await cli(c.file, ['store', 'push', '--to', server.url, '--json']);
    expect(again.code).toBe(0);
    const first = JSON.parse(again.out) as { collections: { what: string; rows: number; sent: number; unchanged: number }[] };
    expect(first.collections.every((x) => x.sent === 0 && x.unchanged === x.rows)).toBe(true);

    // A second dataset: 40 images with vectors.
    const d2 = tempDir();
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ path: `more/${i}.jpg`, captions: [`new caption ${i}`], split: 'test' }));
    writeFiles(d2, { 'more.jsonl': lines.join('\n'), 'ids.txt': Array.from({ length: 40 }, (_, i) => `more/${i}.jpg`).join('\n') });
    writeNpy(path.join(d2, 'v.npy'), '<f4', [40, DIMS.image], Float32Array.from({ length: 40 * DIMS.image }, (_, i) => Math.sin(i * 1.7)));
    await importDataset(c, 'manifest', path.join(d2, 'more.jsonl'), { name: 'more', hashMedia: false });
    importVectors(c, path.join(d2, 'v.npy'), { dataset: 'more', encoder: 'img-enc', ids: path.join(d2, 'ids.txt') });

    const next = await cli(c.file, ['store', 'push', '--to', server.url, '--json']);
    expect(next.code).toBe(0);
    const report = JSON.parse(next.out) as { collections: { what: string; rows: number; sent: number; unchanged: number }[] };
    const img = report.collections.find((x) => x.what === 'encoder img-enc')!;
    expect(img).toMatchObject({ sent: 40, unchanged: 300, rows: 340 });
    expect(report.collections.find((x) => x.what === `run ${runId} (text -> image)`)!).toMatchObject({ sent: 40, rows: 340 });
    expect(report.collections.find((x) => x.what === 'encoder txt-enc')!.sent).toBe(0);

    const local = new SearchEngine(c);
    const exact = new SearchEngine(c, { store: server.url, exact: true });
    try {
      const newItem = (c.db.prepare("SELECT i.id FROM items i JOIN datasets d ON d.id = i.dataset_id WHERE d.name = 'more' AND i.modality = 'image' LIMIT 1").get() as { id: number }).id;
      const want = await local.searchByItem({ item: newItem, to: ['image'], k: 10, datasets: ['more'] });
      expect(want.length).toBe(10);
      expectSameHits(await exact.searchByItem({ item: newItem, to: ['image'], k: 10, datasets: ['more'] }), want);
    } finally {
      await Promise.all([local.close(), exact.close()]);
    }

    // A replaced model: its old collection is dropped, never searched beside the new one.
    const d3 = tempDir();
    const allImages = c.db.prepare("SELECT key FROM items i JOIN datasets d ON d.id = i.dataset_id WHERE d.name = 'synth' AND modality = 'image' ORDER BY i.id").all() as { key: string }[];
    writeFiles(d3, { 'ids.txt': allImages.map((r) => r.key).join('\n') });
    writeNpy(path.join(d3, 'v2.npy'), '<f4', [allImages.length, DIMS.image], Float32Array.from({ length: allImages.length * DIMS.image }, (_, i) => Math.cos(i * 0.37)));
    importVectors(c, path.join(d3, 'v2.npy'), { dataset: 'synth', encoder: 'img-enc', ids: path.join(d3, 'ids.txt'), encoderHash: 'model-v2', replace: true });
    const replaced = await cli(c.file, ['store', 'push', '--to', server.url, '--encoder', 'img-enc', '--json']);
    expect(replaced.code).toBe(0);
    const r = JSON.parse(replaced.out) as { dropped: number; collections: { rows: number; sent: number }[] };
    expect(r.dropped).toBe(1);
    expect(r.collections[0]).toMatchObject({ rows: allImages.length, sent: allImages.length });
    const tables = await sql(server.url, `SELECT name FROM altmoe_collections WHERE catalog = '${c.info.catalogId()}' AND encoder = 'img-enc' AND run_id = 0`);
    expect(tables.rows.map((x: { name: string }) => x.name)).toEqual(['img-enc@model-v2']);
  }, 240_000);

  it('a bad store gets one line: wrong URL, unreachable, newer schema, no pgvector; the password is never printed', async () => {
    const bad = await cli(c.file, ['store', 'push', '--to', 'mysql://x@h/db']);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.err).toMatch(/^altmoe: the store must be a postgres:\/\/ URL/);

    const down = await cli(c.file, ['store', 'push', '--to', 'postgres://alice:s3cret@127.0.0.1:1/vectors']);
    expect(down.code).toBe(1);
    expect(down.err).toBe('altmoe: error: cannot reach the store at postgres://alice@127.0.0.1:1/vectors (ECONNREFUSED): is the server running?\n');
    const downSearch = await cli(c.file, ['search', '--item', '1', '--to', 'image', '--store', 'postgres://alice:s3cret@127.0.0.1:1/vectors']);
    expect(downSearch.code).toBe(1);
    expect(downSearch.err).not.toMatch(/s3cret|\n.+\n/);
    const downServe = await cli(c.file, ['serve', '--port', '0', '--store', 'postgres://alice:s3cret@127.0.0.1:1/vectors']);
    expect(downServe.code).toBe(1);
    expect(downServe.err).toMatch(/^altmoe: error: cannot reach the store at postgres:\/\/alice@127.0.0.1:1\/vectors/);

    expect((await cli(c.file, ['search', '--item', '1', '--to', 'image', '--exact'])).err).toMatch(/--exact and --ef-search go with --store/);
    expect((await cli(c.file, ['search', '--item', '1', '--to', 'image', '--store', server.url, '--ef-search', '0'])).err).toMatch(/ef_search must be a whole number from 1 to 1,000/);
    expect((await cli(c.file, ['store', 'push', '--to', server.url, '--m', '32', '--ef-construction', '40'])).err).toMatch(/ef_construction \(40\) must be at least twice m \(32\)/);

    // A schema newer than this app: push and search both refuse, and nothing is changed.
    await sql(server.url, 'UPDATE altmoe_schema SET version = 99');
    try {
      const push = await cli(c.file, ['store', 'push', '--to', server.url]);
      expect(push.err).toMatch(/^altmoe: error: the store at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres has schema version 99, newer than this app's 1: update AltMoE Studio\n$/);
      const search = await cli(c.file, ['search', '--item', '1', '--to', 'image', '--store', server.url]);
      expect(search.err).toMatch(/schema version 99, newer than this app's 1/);
    } finally {
      await sql(server.url, 'UPDATE altmoe_schema SET version = 1');
    }

    // A store without pgvector (one nobody pushed to is the first case's).
    const bare = await startPgServer(['--no-vector']);
    try {
      const noExt = await cli(c.file, ['store', 'push', '--to', bare.url]);
      expect(noExt.code).toBe(1);
      expect(noExt.err).toMatch(/^altmoe: error: the store at .* has no pgvector extension: install pgvector on the server/);
    } finally {
      await bare.stop();
    }
  }, 180_000);
});

describe('PostgreSQL store: a push killed half-way, and a read-only replica', () => {
  it('kill -9 during a push, then push again: only the rest is sent, and the store equals the catalog', async () => {
    const { c } = await trainedCatalogCopy();
    const data = tempDir();
    let server = await startPgServer(['--data', data]);
    try {
      // Small batches, so the push is many transactions; killed once it has committed some.
      const child = spawn(process.execPath, [BIN, 'store', 'push', '--to', server.url, '--batch', '20', '--catalog', c.file]);
      let err = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          if (/pushing .*: [1-9]\d*%/.test(err)) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.once('exit', () => reject(new Error(`the push ended before it was killed: ${err}`)));
      });
      await new Promise((r) => child.once('exit', r));
      const before = await cli(c.file, ['store', 'status', '--to', server.url, '--json']);
      const partial = JSON.parse(before.out) as { collections: { complete: boolean }[] };
      expect(partial.collections.some((x) => !x.complete)).toBe(true);

      const resumed = await cli(c.file, ['store', 'push', '--to', server.url, '--json']);
      expect(resumed.code).toBe(0);
      const report = JSON.parse(resumed.out) as { collections: { rows: number; sent: number; unchanged: number }[] };
      const total = report.collections.reduce((n, x) => n + x.rows, 0);
      const unchanged = report.collections.reduce((n, x) => n + x.unchanged, 0);
      expect(unchanged).toBeGreaterThan(0);
      expect(report.collections.reduce((n, x) => n + x.sent, 0)).toBe(total - unchanged);
      const after = JSON.parse((await cli(c.file, ['store', 'status', '--to', server.url, '--json'])).out) as { collections: { complete: boolean; rows: number }[] };
      expect(after.collections.every((x) => x.complete)).toBe(true);
      const counts = await Promise.all((await sql(server.url, 'SELECT id FROM altmoe_collections ORDER BY id')).rows.map(async (r: { id: number }) => Number((await sql(server.url, `SELECT count(*) AS n FROM altmoe_v_${r.id}`)).rows[0].n)));
      expect(counts).toEqual(after.collections.map((x) => x.rows));

      const local = new SearchEngine(c);
      const exact = new SearchEngine(c, { store: server.url, exact: true });
      try {
        for (const item of [1, 50, 120]) expectSameHits(await exact.searchByItem({ item, to: ['text'], k: 10 }), await local.searchByItem({ item, to: ['text'], k: 10 }));
      } finally {
        await Promise.all([local.close(), exact.close()]);
      }

      // The same data served read-only (as a replica or a read-only role): search works, push says why not.
      await server.stop();
      server = await startPgServer(['--data', data, '--read-only']);
      const replica = new SearchEngine(c, { store: server.url, exact: true });
      try {
        expect((await replica.searchByItem({ item: 50, to: ['text'], k: 5 })).length).toBe(5);
      } finally {
        await replica.close();
      }
      const refused = await cli(c.file, ['store', 'push', '--to', server.url]);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/^altmoe: error: the role "postgres" may not write to the store at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres \(read-only\): pushing needs a role that can create tables\n$/);
    } finally {
      await server.stop();
    }
  }, 300_000);
});
