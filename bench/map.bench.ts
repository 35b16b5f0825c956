// bench:map -> bench/results/map.json: the embedding map's layout time and peak memory at 10k, 30k
// and 100k points (d=512, clustered like real embeddings), the near-duplicate search's time at
// 100k, and the study that chose the default duplicate threshold (duplicate-threshold.ts). Each
// size runs in its own process, so its peak RSS is its own.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UMAP } from 'umap-js';
import { layout } from '../src-main/core/map/layout.ts';
import { nearLinks } from '../src-main/core/duplicates/near.ts';
import { DEFAULT_THRESHOLD } from '../src-main/core/duplicates/find.ts';
import { normalizeRows } from '../src-main/core/index/exact.ts';
import { mulberry32, normal } from '../src-main/core/util/rng.ts';
import { thresholdStudy } from './duplicate-threshold.ts';

const DIM = 512;
const RESULTS = path.resolve(import.meta.dirname, 'results/map.json');
const SIZES = (process.env.MAP_SIZES ?? '10000,30000,100000').split(',').map(Number);

/** n unit rows around 200 random centres, with 1% planted near copies (what the finder must find). */
function generate(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const centres = Array.from({ length: 200 }, () => Float32Array.from({ length: DIM }, () => normal(rand)));
  const x = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const copyOf = i > 0 && rand() < 0.01 ? Math.floor(rand() * i) : -1;
    for (let j = 0; j < DIM; j++) x[i * DIM + j] = copyOf >= 0 ? x[copyOf * DIM + j]! + 0.01 * normal(rand) : centres[i % 200]![j]! + 0.9 * normal(rand);
  }
  return normalizeRows(x, DIM);
}

async function one(n: number): Promise<Record<string, number>> {
  const unit = generate(n, 11);
  const t0 = performance.now();
  await layout(unit, DIM, { seed: 1 });
  const layoutSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const links = await nearLinks(unit, DIM, DEFAULT_THRESHOLD);
  const duplicateSeconds = (performance.now() - t1) / 1000;
  return { points: n, layoutSeconds, duplicateSeconds, links: links.length, peakRssMB: process.resourceUsage().maxRSS / 1024 };
}

/** The reference: umap-js as its README shows it (its own NN-descent, every point laid out). */
function reference(n: number): Record<string, number> {
  const unit = generate(n, 11);
  const rows = Array.from({ length: n }, (_, i) => Array.from(unit.subarray(i * DIM, (i + 1) * DIM)));
  const t0 = performance.now();
  new UMAP({ nComponents: 2, nNeighbors: 15, minDist: 0.1, random: mulberry32(1) }).fit(rows);
  return { points: n, layoutSeconds: (performance.now() - t0) / 1000, peakRssMB: process.resourceUsage().maxRSS / 1024 };
}

if (process.argv[2] === '--reference') {
  process.stdout.write(JSON.stringify(reference(Number(process.argv[3]))));
} else if (process.argv[2] === '--one') {
  process.stdout.write(JSON.stringify(await one(Number(process.argv[3]))));
} else {
  const runs = SIZES.map((n) => {
    process.stderr.write(`map: ${n.toLocaleString('en-US')} points...\n`);
    const r = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--one', String(n)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, number>;
    process.stderr.write(`  layout ${out.layoutSeconds!.toFixed(1)} s, duplicates ${out.duplicateSeconds!.toFixed(1)} s, peak RSS ${out.peakRssMB!.toFixed(0)} MB\n`);
    return out;
  });
  const refN = Number(process.env.MAP_REFERENCE_POINTS ?? 10_000);
  process.stderr.write(`reference: plain umap-js on ${refN.toLocaleString('en-US')} points...\n`);
  const ref = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--reference', String(refN)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (ref.status !== 0) throw new Error(ref.stderr);
  const referenceRun = JSON.parse(ref.stdout) as Record<string, number>;
  const ours = runs.find((r) => r.points === refN);
  process.stderr.write(`  ${referenceRun.layoutSeconds!.toFixed(1)} s, peak RSS ${referenceRun.peakRssMB!.toFixed(0)} MB${ours ? `; ours ${(referenceRun.layoutSeconds! / ours.layoutSeconds!).toFixed(2)}x faster` : ''}\n`);
  process.stderr.write('duplicate threshold study (openclipart + MobileNetV2)...\n');
  const study = process.env.MAP_SKIP_STUDY ? null : await thresholdStudy(Number(process.env.MAP_STUDY_DRAWINGS ?? 400), 7, false);
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? '?', memoryGB: Math.round(os.totalmem() / 2 ** 30) },
    settings: { dim: DIM, layout: 'UMAP (umap-js) on a 10,000-point sample, USearch neighbours, the rest placed by their 10 nearest sampled points', duplicateThreshold: DEFAULT_THRESHOLD },
    runs,
    reference: { what: 'umap-js fit() with its own NN-descent on every point, same data and settings', ...referenceRun, ...(ours ? { oursSpeedup: referenceRun.layoutSeconds! / ours.layoutSeconds! } : {}) },
    threshold: study,
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`wrote ${RESULTS}\n`);
}
