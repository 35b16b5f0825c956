// npm run bench:search — search over 100k and 1M unit vectors (bench/search-data.ts) at d=768,
// k=10, for two kinds of query: `in_dist` (catalog vectors, slightly perturbed: "more like this")
// and `cross_modal` (vectors of a second, differently distributed space mapped into the indexed one
// by a ridge map fitted on pairs, as a connector maps a caption: off the indexed distribution, with
// their true neighbours by exact search). Ours: exact, the IVF lists the engine uses above its size
// threshold (index/ivf.ts), the HNSW graph it offers instead (index/hnsw.ts, USearch) and int8
// storage. Peers in the same run on the same data: FAISS flat / HNSW (M=32) / IVF-flat / IVF-PQ
// (Debian's python3-faiss, one BLAS thread per caller thread) and hnswlib-node. Every approximate
// index is tuned per query kind to the smallest setting that reaches recall@10 >= 0.95; p50 / p95
// of single queries (and, for peers with a batch call, the per-query time of one batch). Writes
// bench/results/search.json; bench/search-summary.ts makes its headline.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { writeNpy } from '../src-main/core/datasets/npy.ts';
import { topKScored } from '../src-main/core/index/exact.ts';
import { buildHnsw, loadHnsw, rerankCount, saveHnsw, searchHnsw, searchHnswBatch } from '../src-main/core/index/hnsw.ts';
import { buildIvf, searchIvf } from '../src-main/core/index/ivf.ts';
import { buildInt8Scorer, candidateCount, quantizeRows, topKInt8 } from '../src-main/core/index/quantized.ts';
import { mulberry32 } from '../src-main/core/util/rng.ts';
import { referenceEnv, referenceEnvRecord, unoptimisedBlas } from './python-env.ts';
import { crossModalQueries, D, generate, inDistQueries, type Generator } from './search-data.ts';
import { KINDS, summarize, type Kind } from './search-summary.ts';
import { round } from './stats.ts';

const K = 10;
const TARGET = 0.95;
const QUERIES = Number(process.env.SEARCH_QUERIES ?? 200);
const SIZES = (process.env.SEARCH_SIZES ?? '100000,1000000').split(',').map(Number);
const GENERATOR = (process.env.SEARCH_DATA ?? 'topics') as Generator;
// hnswlib-node adds one point per call on one thread: 200 s at 100k, so about an hour at 1M.
const HNSWLIB_MAX = Number(process.env.SEARCH_HNSWLIB_MAX ?? 200_000);
const DATA = path.resolve(import.meta.dirname, 'data/search');
const RESULTS = path.resolve(import.meta.dirname, process.env.SEARCH_OUT ?? 'results/search.json');

function percentiles(times: number[]): { p50_ms: number; p95_ms: number } {
  const s = [...times].sort((a, b) => a - b);
  return { p50_ms: round(s[Math.floor(s.length / 2)]!), p95_ms: round(s[Math.floor(s.length * 0.95)]!) };
}

const recallOf = (found: ArrayLike<number>[], truth: number[][]): number =>
  round(found.reduce((s, f, i) => s + Array.from(f).filter((r) => truth[i]!.includes(r)).length, 0) / (K * truth.length));

/** Times one query function over all queries of a kind (first call discarded). */
async function timed(q: Float32Array, fn: (query: Float32Array) => Promise<ArrayLike<number>> | ArrayLike<number>): Promise<{ times: number[]; found: ArrayLike<number>[] }> {
  await fn(q.subarray(0, D));
  const times: number[] = [];
  const found: ArrayLike<number>[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const query = q.subarray(i * D, (i + 1) * D);
    const t = performance.now();
    found.push(await fn(query));
    times.push(performance.now() - t);
  }
  return { times, found };
}

/** The smallest setting reaching the target recall on a kind (else the best one tried), timed. */
async function tune(q: Float32Array, truth: number[][], values: number[], make: (v: number) => Promise<(query: Float32Array) => Promise<ArrayLike<number>> | ArrayLike<number>>): Promise<Record<string, number>> {
  let chosen: Record<string, number> = {};
  for (const v of values) {
    const r = await timed(q, await make(v));
    chosen = { param: v, ...percentiles(r.times), recall_at_10: recallOf(r.found, truth) };
    if (chosen.recall_at_10! >= TARGET) break;
  }
  return chosen;
}

const EF = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024];
const NPROBE = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256];

/** hnswlib-node (M=16, efConstruction=200), built point by point and tuned per query kind. */
async function runHnswlib(x: Float32Array, n: number, queries: Record<Kind, Float32Array>, truth: Record<Kind, number[][]>, perKind: Record<Kind, Record<string, unknown>>, build: Record<string, unknown>): Promise<void> {
  console.error(`n=${n}: hnswlib-node...`);
  const t = performance.now();
  const hl = new hnswlib.HierarchicalNSW('ip', D);
  hl.initIndex(n, 16, 200, 100);
  for (let i = 0; i < n; i++) hl.addPoint(Array.from(x.subarray(i * D, (i + 1) * D)), i);
  build.hnswlib_seconds = round((performance.now() - t) / 1000);
  for (const kind of KINDS) {
    perKind[kind].hnswlib = { M: 16, efConstruction: 200, ...(await tune(queries[kind], truth[kind], EF, async (ef) => {
      hl.setEf(ef);
      return (query) => hl.searchKnn(Array.from(query), K).neighbors;
    })) };
  }
}

const result: Record<string, unknown> = {
  benchmark: 'search',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
  dim: D,
  k: K,
  generator: GENERATOR,
  queries_per_kind: QUERIES,
  target_recall_at_10: TARGET,
  reference_env: referenceEnvRecord(),
  sizes: {} as Record<string, unknown>,
};
fs.mkdirSync(DATA, { recursive: true });
for (const n of SIZES) {
  const rand = mulberry32(n);
  console.error(`n=${n}: generating...`);
  const x = generate(GENERATOR, n, rand);
  const queries: Record<Kind, Float32Array> = { in_dist: inDistQueries(x, n, QUERIES, rand), cross_modal: await crossModalQueries(x, n, QUERIES, rand) };
  const files = { x: path.join(DATA, `vectors_${n}.npy`), in_dist: path.join(DATA, `queries_in_${n}.npy`), cross_modal: path.join(DATA, `queries_cross_${n}.npy`) };
  writeNpy(files.x, '<f4', [n, D], x);
  for (const kind of KINDS) writeNpy(files[kind], '<f4', [QUERIES, D], queries[kind]);
  const perKind: Record<Kind, Record<string, unknown>> = { in_dist: {}, cross_modal: {} };
  const truth: Record<Kind, number[][]> = { in_dist: [], cross_modal: [] };
  const build: Record<string, unknown> = {};

  console.error(`n=${n}: exact...`);
  for (const kind of KINDS) {
    const r = await timed(queries[kind], async (query) => (await topKScored(query, x, D, K)).indices);
    truth[kind] = r.found.map((f) => Array.from(f));
    perKind[kind].ours_exact = { ...percentiles(r.times), recall_at_10: 1 };
  }

  console.error(`n=${n}: ours hnsw (usearch, int8 graph + exact re-rank)...`);
  let t = performance.now();
  const graph = buildHnsw(x, D);
  build.ours_hnsw_seconds = round((performance.now() - t) / 1000);
  build.ours_hnsw_settings = { connectivity: 16, expansion_add: 128, quantization: graph.quantization, reranked: rerankCount(K) };
  const file = path.join(DATA, `hnsw_${n}.usearch`);
  saveHnsw(file, graph, 'bench');
  for (const kind of KINDS) {
    perKind[kind].ours_hnsw = await tune(queries[kind], truth[kind], EF, async (ef) => {
      const h = loadHnsw(file, x, D, 'bench', { expansionSearch: ef })!;
      return (query) => searchHnsw(h, query, K).rows;
    });
    // USearch's own batch call on the same graph (re-ranked as single queries are), at the chosen setting.
    const h = loadHnsw(file, x, D, 'bench', { expansionSearch: (perKind[kind].ours_hnsw as { param: number }).param })!;
    t = performance.now();
    searchHnswBatch(h, queries[kind], K, os.availableParallelism());
    (perKind[kind].ours_hnsw as Record<string, unknown>).batch_ms_per_query = round((performance.now() - t) / QUERIES);
  }

  {
    // In a block, so its lists (a copy of the vectors) can be collected before the peers run.
    console.error(`n=${n}: ours ivf...`);
    const lists = n >= 1_000_000 ? 2048 : 512;
    t = performance.now();
    const ivf = await buildIvf(x, D, { lists, sample: 32 * lists, iterations: 6, seed: 1 });
    build.ours_ivf_seconds = round((performance.now() - t) / 1000);
    for (const kind of KINDS) perKind[kind].ours_ivf = { lists, ...(await tune(queries[kind], truth[kind], NPROBE, async (nprobe) => async (query) => (await searchIvf(ivf, query, K, nprobe)).rows)) };
  }

  console.error(`n=${n}: ours int8...`);
  t = performance.now();
  const scorer = await buildInt8Scorer(quantizeRows(x, D));
  build.ours_int8_seconds = round((performance.now() - t) / 1000);
  for (const kind of KINDS) {
    const r = await timed(queries[kind], async (query) => {
      const candidates = await topKInt8(scorer, query, candidateCount(K, n));
      // Re-scored exactly (the engine reads these rows back from the catalog).
      return [...candidates]
        .map((row) => {
          let s = 0;
          for (let j = 0; j < D; j++) s += x[row * D + j]! * query[j]!;
          return { row, s };
        })
        .sort((a, b) => b.s - a.s)
        .slice(0, K)
        .map((b) => b.row);
    });
    perKind[kind].ours_int8 = { ...percentiles(r.times), recall_at_10: recallOf(r.found, truth[kind]), candidates: candidateCount(K, n) };
  }
  await scorer.session.release();

  if (n > HNSWLIB_MAX) build.hnswlib_skipped = `above SEARCH_HNSWLIB_MAX=${HNSWLIB_MAX}: its build adds one point per call on one thread (about an hour at 1M here)`;
  else await runHnswlib(x, n, queries, truth, perKind, build);

  console.error(`n=${n}: faiss...`);
  const threads = Math.min(2, os.availableParallelism());
  const f = spawnSync('/usr/bin/python3', [path.join(import.meta.dirname, 'search_peers.py'), files.x, files.in_dist, files.cross_modal, String(K), String(threads), String(TARGET)], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: referenceEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (f.status !== 0) build.faiss_error = (f.stderr || f.error?.message || 'python3 failed (install python3-faiss)').trim().split('\n').at(-1);
  else {
    const peers = JSON.parse(f.stdout.trim().split('\n').at(-1)!) as { blas: unknown; indexes: Record<string, Record<string, unknown>> };
    build.faiss_blas = peers.blas;
    const slowBlas = unoptimisedBlas(peers.blas);
    if (slowBlas) {
      console.error(slowBlas);
      build.faiss_error = slowBlas;
    }
    for (const [name, entry] of slowBlas ? [] : Object.entries(peers.indexes)) {
      if (entry.build_seconds !== undefined) build[`${name}_seconds`] = round(entry.build_seconds as number);
      for (const kind of KINDS) {
        const row = entry[kind] as Record<string, number>;
        perKind[kind][name] = { ...(entry.settings as object), ...Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v])) };
      }
    }
  }

  const summary = summarize(perKind, TARGET);
  (result.sizes as Record<string, unknown>)[String(n)] = { build, ...perKind, summary };
  console.error(JSON.stringify((result.sizes as Record<string, unknown>)[String(n)]));
  fs.rmSync(file, { force: true });
}
fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
fs.writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
