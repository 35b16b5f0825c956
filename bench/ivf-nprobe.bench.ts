// npm run bench:ivf-nprobe — the engine's IVF index as the local store builds it (2·sqrt(n) lists,
// buildIvf's defaults) on bench:search's topics catalog at 250k and 1M vectors (d=768), recall@10
// and single-query p50 per nprobe for both query kinds: the evidence for the store's default nprobe.
// Writes bench/results/ivf-nprobe.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { topKScored } from '../src-main/core/index/exact.ts';
import { buildIvf, defaultListCount, searchIvf } from '../src-main/core/index/ivf.ts';
import { mulberry32 } from '../src-main/core/util/rng.ts';
import { crossModalQueries, D, generate, inDistQueries } from './search-data.ts';
import { round } from './stats.ts';

const K = 10;
const QUERIES = Number(process.env.SEARCH_QUERIES ?? 200);
const SIZES = (process.env.SEARCH_SIZES ?? '250000,1000000').split(',').map(Number);
const NPROBE = [4, 8, 12, 16, 24, 32];
const RESULTS = path.resolve(import.meta.dirname, process.env.SEARCH_OUT ?? 'results/ivf-nprobe.json');

const result = {
  benchmark: 'ivf-nprobe',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
  dim: D,
  k: K,
  generator: 'topics',
  queries_per_kind: QUERIES,
  sizes: {} as Record<string, unknown>,
};
for (const n of SIZES) {
  console.error(`n=${n}: generating...`);
  // The same seed as bench:search, so the catalog and queries are the ones it measured.
  const rand = mulberry32(n);
  const x = generate('topics', n, rand);
  const queries = { in_dist: inDistQueries(x, n, QUERIES, rand), cross_modal: await crossModalQueries(x, n, QUERIES, rand) };
  const lists = defaultListCount(n);
  let t = performance.now();
  const ivf = await buildIvf(x, D, { lists, seed: 1 });
  const entry: Record<string, unknown> = { lists, build_seconds: round((performance.now() - t) / 1000) };
  for (const [kind, q] of Object.entries(queries)) {
    console.error(`n=${n}: ${kind}...`);
    const truth: Set<number>[] = [];
    for (let i = 0; i < QUERIES; i++) truth.push(new Set((await topKScored(q.subarray(i * D, (i + 1) * D), x, D, K)).indices));
    const rows = [];
    for (const nprobe of NPROBE) {
      let hits = 0;
      const times: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        t = performance.now();
        const r = await searchIvf(ivf, q.subarray(i * D, (i + 1) * D), K, nprobe);
        times.push(performance.now() - t);
        for (const row of r.rows) if (truth[i]!.has(row)) hits++;
      }
      times.sort((a, b) => a - b);
      rows.push({ nprobe, recall_at_10: round(hits / (QUERIES * K)), p50_ms: round(times[Math.floor(QUERIES / 2)]!) });
    }
    entry[kind] = rows;
  }
  result.sizes[String(n)] = entry;
  console.error(JSON.stringify(entry));
}
fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
fs.writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
