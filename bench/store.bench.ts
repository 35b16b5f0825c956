// npm run bench:store — the PostgreSQL + pgvector store against the local one, same data, same run:
// push throughput (vectors/s, through `altmoe store push`'s code), HNSW build time, p50 / p95
// latency of single "more like this" queries (k=10) and recall@10 against the local exact search
// (local: exact, HNSW, IVF; Postgres: exact scan, HNSW at three ef_search), at
// 10k and 100k clustered unit vectors of d=512. Postgres here is PGlite (Postgres compiled to WASM,
// one query at a time, behind pglite-socket): its figures are a floor for a real server, not a
// ceiling. Writes bench/results/store.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { importDataset } from '../src-main/core/datasets/import.ts';
import { importVectors } from '../src-main/core/datasets/vectors.ts';
import { writeNpy } from '../src-main/core/datasets/npy.ts';
import { SearchEngine, type SearchOptions } from '../src-main/core/search/engine.ts';
import { pushToStore } from '../src-main/core/store/postgres/push.ts';
import { mulberry32, normal } from '../src-main/core/util/rng.ts';
import { startPgServer } from '../test/store/pg-server.ts';
import { round } from './stats.ts';

const D = 512;
const K = 10;
const QUERIES = Number(process.env.STORE_QUERIES ?? 200);
const SIZES = (process.env.STORE_SIZES ?? '10000,100000').split(',').map(Number);
const EF_SEARCH = [40, 100, 200];
const RESULTS = path.resolve(import.meta.dirname, 'results/store.json');

/** n vectors around n/100 random centres (clustered like real embeddings). */
function vectors(n: number): Float32Array {
  const rand = mulberry32(n + 7);
  const clusters = Math.max(10, Math.round(n / 100));
  const centres = Float32Array.from({ length: clusters * D }, () => normal(rand));
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * clusters);
    for (let k = 0; k < D; k++) x[i * D + k] = centres[c * D + k]! + 0.8 * normal(rand);
  }
  return x;
}

function percentiles(times: number[]): { p50: number; p95: number } {
  const s = [...times].sort((a, b) => a - b);
  return { p50: round(s[Math.floor(s.length / 2)]!), p95: round(s[Math.floor(s.length * 0.95)]!) };
}

/** A catalog of n image items with d=512 vectors (imported as a user would: manifest + .npy). */
async function catalogOf(dir: string, n: number): Promise<Catalog> {
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ path: `img/${i}.jpg`, captions: [`item ${i}`], split: i % 10 === 0 ? 'test' : 'train' }));
  fs.writeFileSync(path.join(dir, 'm.jsonl'), lines.join('\n'));
  fs.writeFileSync(path.join(dir, 'ids.txt'), Array.from({ length: n }, (_, i) => `img/${i}.jpg`).join('\n'));
  writeNpy(path.join(dir, 'v.npy'), '<f4', [n, D], vectors(n));
  const c = Catalog.open(path.join(dir, 'catalog.db'));
  await importDataset(c, 'manifest', path.join(dir, 'm.jsonl'), { name: 'bench', hashMedia: false });
  importVectors(c, path.join(dir, 'v.npy'), { dataset: 'bench', encoder: 'img-512', ids: path.join(dir, 'ids.txt') });
  return c;
}

/** Latency of each query and its hits, through one engine (first query discarded as warm-up). */
async function measure(c: Catalog, items: number[], options: SearchOptions): Promise<{ times: number[]; hits: number[][] }> {
  const engine = new SearchEngine(c, options);
  try {
    await engine.searchByItem({ item: items[0]!, to: ['image'], k: K });
    const times: number[] = [];
    const hits: number[][] = [];
    for (const item of items) {
      const t = performance.now();
      const h = await engine.searchByItem({ item, to: ['image'], k: K });
      times.push(performance.now() - t);
      hits.push(h.map((x) => x.itemId));
    }
    return { times, hits };
  } finally {
    await engine.close();
  }
}

const recall = (got: number[][], truth: number[][]): number => round(got.reduce((s, g, i) => s + g.filter((x) => truth[i]!.includes(x)).length, 0) / truth.reduce((s, t) => s + t.length, 0));

const result: Record<string, unknown> = {
  benchmark: 'store',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
  postgres: 'PGlite 0.5.14 (PostgreSQL 18 compiled to WASM, single-threaded) + pgvector 0.8 via @electric-sql/pglite-pgvector, behind pglite-socket; the pg client over loopback TCP',
  note: 'PGlite runs one query at a time in WebAssembly: its push, build and query figures are a floor for a real PostgreSQL server, not a ceiling.',
  dim: D,
  k: K,
  queries: QUERIES,
  hnsw: { m: 16, efConstruction: 64 },
  sizes: [] as unknown[],
};

for (const n of SIZES) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-store-bench-'));
  const server = await startPgServer();
  try {
    console.error(`n=${n}: catalog...`);
    const c = await catalogOf(dir, n);
    const rand = mulberry32(99);
    const ids = (c.db.prepare("SELECT id FROM items WHERE modality = 'image' ORDER BY id").all() as { id: number }[]).map((r) => r.id);
    const items = Array.from({ length: QUERIES }, () => ids[Math.floor(rand() * ids.length)]!);

    console.error(`n=${n}: push...`);
    const t0 = performance.now();
    const report = await pushToStore(c, server.url, { encoder: 'img-512' });
    const pushSeconds = (performance.now() - t0) / 1000;
    const indexSeconds = report.collections[0]!.indexSeconds;
    const t1 = performance.now();
    await pushToStore(c, server.url, { encoder: 'img-512' });
    const noopSeconds = (performance.now() - t1) / 1000;

    console.error(`n=${n}: queries...`);
    const exact = await measure(c, items, {});
    const hnsw = await measure(c, items, { annThreshold: 0, ann: 'hnsw' });
    const ivf = await measure(c, items, { annThreshold: 0, ann: 'ivf' });
    const pgExact = await measure(c, items, { store: server.url, exact: true });
    const pgHnsw = [];
    for (const ef of EF_SEARCH) {
      const r = await measure(c, items, { store: server.url, efSearch: ef });
      pgHnsw.push({ efSearch: ef, ...percentiles(r.times), recallAt10: recall(r.hits, exact.hits) });
    }
    const entry = {
      vectors: n,
      push: { seconds: round(pushSeconds), vectorsPerSecond: Math.round(n / (pushSeconds - indexSeconds)), hnswBuildSeconds: round(indexSeconds), unchangedPushSeconds: round(noopSeconds) },
      local: { exact: percentiles(exact.times), hnsw: { ...percentiles(hnsw.times), recallAt10: recall(hnsw.hits, exact.hits) }, ivf: { ...percentiles(ivf.times), recallAt10: recall(ivf.hits, exact.hits) } },
      postgres: { exact: { ...percentiles(pgExact.times), recallAt10: recall(pgExact.hits, exact.hits) }, hnsw: pgHnsw },
    };
    console.error(JSON.stringify(entry));
    (result.sizes as unknown[]).push(entry);
    c.close();
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
fs.writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
