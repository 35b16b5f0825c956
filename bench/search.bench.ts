// npm run bench:search — exact and approximate (IVF) search over 100k and 1M random-but-clustered
// unit vectors at d=768: p50 / p95 latency of single queries for k=10, recall@10 of the approximate
// index against exact, and FAISS's exact flat index (Debian's python3-faiss) on the same data in the
// same run. Writes bench/results/search.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNpy } from '../src-main/core/datasets/npy.ts';
import { normalizeRows, topKScored } from '../src-main/core/model/retrieval.ts';
import { buildIvf, searchIvf } from '../src-main/core/search/ivf.ts';
import { buildInt8Scorer, candidateCount, quantizeRows, topKInt8 } from '../src-main/core/search/quantized.ts';
import { mulberry32, normal } from '../src-main/core/train/rng.ts';
import { round } from './stats.ts';

const D = 768;
const K = 10;
const QUERIES = Number(process.env.SEARCH_QUERIES ?? 50);
const SIZES = (process.env.SEARCH_SIZES ?? '100000,1000000').split(',').map(Number);
const DATA = path.resolve(import.meta.dirname, 'data/search');
const RESULTS = path.resolve(import.meta.dirname, 'results/search.json');

/** n unit vectors around 1000 random centres (clustered like real embeddings), and queries near data points. */
function generate(n: number): { x: Float32Array; q: Float32Array } {
  const rand = mulberry32(n);
  const clusters = 1000;
  const centres = Float32Array.from({ length: clusters * D }, () => normal(rand));
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * clusters);
    for (let k = 0; k < D; k++) x[i * D + k] = centres[c * D + k]! + 0.8 * normal(rand);
  }
  const xn = normalizeRows(x, D);
  const q = new Float32Array(QUERIES * D);
  for (let i = 0; i < QUERIES; i++) {
    const src = Math.floor(rand() * n);
    for (let k = 0; k < D; k++) q[i * D + k] = xn[src * D + k]! + 0.02 * normal(rand);
  }
  return { x: xn, q: normalizeRows(q, D) };
}

function percentiles(times: number[]): { p50: number; p95: number } {
  const s = [...times].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length / 2)]!, p95: s[Math.floor(s.length * 0.95)]! };
}

const result: Record<string, unknown> = { benchmark: 'search', date: new Date().toISOString(), machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version }, dim: D, k: K, queries: QUERIES };
fs.mkdirSync(DATA, { recursive: true });
for (const n of SIZES) {
  console.error(`n=${n}: generating...`);
  const { x, q } = generate(n);
  const vf = path.join(DATA, `vectors_${n}.npy`);
  const qf = path.join(DATA, `queries_${n}.npy`);
  writeNpy(vf, '<f4', [n, D], x);
  writeNpy(qf, '<f4', [QUERIES, D], q);

  console.error(`n=${n}: exact...`);
  const exactTimes: number[] = [];
  const truth: number[][] = [];
  await topKScored(q.subarray(0, D), x, D, K); // warm-up
  for (let i = 0; i < QUERIES; i++) {
    const t = performance.now();
    const r = await topKScored(q.subarray(i * D, (i + 1) * D), x, D, K);
    exactTimes.push(performance.now() - t);
    truth.push(Array.from(r.indices));
  }
  console.error(`n=${n}: ivf build...`);
  const lists = n >= 1_000_000 ? 2048 : 512;
  let t = performance.now();
  const index = await buildIvf(x, D, { lists, sample: 32 * lists, iterations: 6, seed: 1 });
  const buildSeconds = (performance.now() - t) / 1000;
  const nprobe = Number(process.env.SEARCH_NPROBE ?? 12);
  const annTimes: number[] = [];
  let hits = 0;
  await searchIvf(index, q.subarray(0, D), K, nprobe);
  for (let i = 0; i < QUERIES; i++) {
    t = performance.now();
    const r = await searchIvf(index, q.subarray(i * D, (i + 1) * D), K, nprobe);
    annTimes.push(performance.now() - t);
    const want = new Set(truth[i]);
    hits += Array.from(r.rows).filter((row) => want.has(row)).length;
  }
  console.error(`n=${n}: int8...`);
  t = performance.now();
  const codes = quantizeRows(x, D);
  const scorer = await buildInt8Scorer(codes);
  const quantizeSeconds = (performance.now() - t) / 1000;
  const int8Times: number[] = [];
  let int8Hits = 0;
  await topKInt8(scorer, q.subarray(0, D), candidateCount(K, n));
  for (let i = 0; i < QUERIES; i++) {
    const query = q.subarray(i * D, (i + 1) * D);
    t = performance.now();
    const candidates = await topKInt8(scorer, query, candidateCount(K, n));
    // Re-score the candidates exactly (the engine reads their float32 rows back from the catalog).
    const best = [...candidates]
      .map((row) => {
        let s = 0;
        for (let j = 0; j < D; j++) s += x[row * D + j]! * query[j]!;
        return { row, s };
      })
      .sort((a, b) => b.s - a.s)
      .slice(0, K);
    int8Times.push(performance.now() - t);
    const want = new Set(truth[i]);
    int8Hits += best.filter((b) => want.has(b.row)).length;
  }
  console.error(`n=${n}: faiss...`);
  const faissRuns: { threads: number; p50: number; p95: number; agreement: number }[] = [];
  for (const threads of [1, 2]) {
    const f = spawnSync('/usr/bin/python3', [path.join(import.meta.dirname, 'search_faiss.py'), vf, qf, String(K), String(threads)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (f.status !== 0) {
      result[`n${n}_faiss_error`] = (f.stderr || 'python3 failed').trim().split('\n').at(-1);
      break;
    }
    const fr = JSON.parse(f.stdout.trim().split('\n').at(-1)!) as { p50_ms: number; p95_ms: number; results: number[][] };
    const agreement = fr.results.reduce((a, list, i) => a + list.filter((r) => truth[i]!.includes(r)).length, 0) / (K * QUERIES);
    faissRuns.push({ threads, p50: fr.p50_ms, p95: fr.p95_ms, agreement });
  }
  const exact = percentiles(exactTimes);
  const ann = percentiles(annTimes);
  const int8 = percentiles(int8Times);
  const faiss = faissRuns.length > 0 ? faissRuns.reduce((b, r) => (r.p50 < b.p50 ? r : b)) : null;
  result[`n${n}`] = {
    exact_p50_ms: round(exact.p50),
    exact_p95_ms: round(exact.p95),
    faiss_flat_p50_ms: faiss && round(faiss.p50),
    faiss_flat_p95_ms: faiss && round(faiss.p95),
    faiss_threads: faiss?.threads ?? null,
    faiss_agrees_with_exact: faiss && round(faiss.agreement),
    exact_vs_faiss_p50_ratio: faiss && round(exact.p50 / faiss.p50),
    ann: `ivf lists=${lists} nprobe=${nprobe}`,
    ann_build_seconds: round(buildSeconds),
    ann_p50_ms: round(ann.p50),
    ann_p95_ms: round(ann.p95),
    ann_recall_at_10: round(hits / (K * QUERIES)),
    int8_p50_ms: round(int8.p50),
    int8_p95_ms: round(int8.p95),
    int8_recall_at_10: round(int8Hits / (K * QUERIES)),
    int8_candidates: candidateCount(K, n),
    int8_codes_mb: round((codes.codes.byteLength + codes.scales.byteLength) / 2 ** 20),
    float32_vectors_mb: round(x.byteLength / 2 ** 20),
    int8_build_seconds: round(quantizeSeconds),
  };
  console.error(JSON.stringify(result[`n${n}`]));
}
fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
fs.writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
