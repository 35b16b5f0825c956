// npm run bench:import — imports a generated COCO-train-sized captions file (118,287 images,
// 591,753 captions) and a 100k x 1024 float32 .npy into a fresh catalog, and records seconds,
// throughput and peak RSS in bench/results/import.json. The imports run in a child process so
// its peak RSS is the import's own, not the data generator's.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { importDataset } from '../src-main/core/datasets/import.ts';
import { npyHeader } from '../src-main/core/datasets/npy.ts';
import { importVectors } from '../src-main/core/datasets/vectors.ts';
import { mulberry32 } from '../src-main/core/util/rng.ts';
import { round } from './stats.ts';

const IMAGES = 118_287;
const CAPTIONS = 591_753;
const VECTORS = 100_000;
const DIM = 1024;
const DATA = path.resolve(import.meta.dirname, 'data/import');
const RESULTS = path.resolve(import.meta.dirname, 'results/import.json');

// Seeded, so every run imports the same data.
const rng = mulberry32;

const WORDS = 'a an the man woman dog cat person group of people sitting standing on in with next to near street table field water red blue white black small large young old two three riding holding playing eating looking at front food pizza plate bus train car bike horse kite skateboard surfboard snow beach grass tree building room kitchen bathroom sign clock'.split(' ');

function generate(): void {
  fs.mkdirSync(DATA, { recursive: true });
  const captionsFile = path.join(DATA, 'captions_train2017.json');
  if (!fs.existsSync(captionsFile)) {
    const rand = rng(1);
    const images = Array.from({ length: IMAGES }, (_, i) => ({ id: i + 1, file_name: `${String(i + 1).padStart(12, '0')}.jpg`, height: 480, width: 640 }));
    const annotations = Array.from({ length: CAPTIONS }, (_, k) => {
      // Every image gets 5 captions, a few get 6 or 7 as in COCO.
      const imageId = k < IMAGES * 5 ? Math.floor(k / 5) + 1 : 1 + Math.floor(rand() * IMAGES);
      const n = 8 + Math.floor(rand() * 8);
      const words = Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]);
      return { image_id: imageId, id: k + 1, caption: `${words.join(' ')}.` };
    });
    fs.writeFileSync(captionsFile, JSON.stringify({ info: {}, licenses: [], images, annotations }));
  }
  const npy = path.join(DATA, 'vectors.npy');
  if (!fs.existsSync(npy)) {
    const rand = rng(2);
    const fd = fs.openSync(npy, 'w');
    fs.writeSync(fd, npyHeader('<f4', [VECTORS, DIM]));
    const rows = new Float32Array(1000 * DIM);
    for (let r = 0; r < VECTORS; r += 1000) {
      for (let i = 0; i < rows.length; i++) rows[i] = rand() * 2 - 1;
      fs.writeSync(fd, new Uint8Array(rows.buffer));
    }
    fs.closeSync(fd);
    const ids = Array.from({ length: VECTORS }, (_, i) => `${String(i + 1).padStart(12, '0')}.jpg`);
    fs.writeFileSync(path.join(DATA, 'ids.txt'), ids.join('\n') + '\n');
  }
}

async function measure(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-bench-'));
  try {
    const catalog = Catalog.open(path.join(work, 'catalog.db'));
    const captionsFile = path.join(DATA, 'captions_train2017.json');

    // Reference in the same run: reading and JSON.parse of the same file, no catalog work.
    let t = performance.now();
    JSON.parse(fs.readFileSync(captionsFile, 'utf8'));
    const parseSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const report = await importDataset(catalog, 'coco', captionsFile, { name: 'coco', root: path.join(work, 'no-images') });
    const captionsSeconds = (performance.now() - t) / 1000;
    catalog.checkpoint();
    if (report.items.text?.added !== CAPTIONS || report.items.image?.added !== IMAGES) throw new Error('captions import counts are wrong');

    const npy = path.join(DATA, 'vectors.npy');
    const mb = fs.statSync(npy).size / 1e6;
    // Reference: reading the bytes alone.
    t = performance.now();
    const fd = fs.openSync(npy, 'r');
    const buf = Buffer.alloc(16 << 20);
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
    fs.closeSync(fd);
    const rawReadSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const vr = importVectors(catalog, npy, { dataset: 'coco', encoder: 'bench', ids: path.join(DATA, 'ids.txt') });
    const vectorsSeconds = (performance.now() - t) / 1000;
    if (vr.vectors?.count !== VECTORS) throw new Error('vector import count is wrong');
    // The WAL copy that the import leaves for later (see Catalog.bulkWrite), measured too.
    t = performance.now();
    catalog.checkpoint();
    const checkpointSeconds = (performance.now() - t) / 1000;
    const integrity = catalog.integrityCheck();
    catalog.close();
    process.stdout.write(
      JSON.stringify({
        captions_seconds: round(captionsSeconds),
        captions_per_s: Math.round(CAPTIONS / captionsSeconds),
        reference_json_parse_seconds: round(parseSeconds),
        vectors_seconds: round(vectorsSeconds),
        vectors_mb_per_s: round(mb / vectorsSeconds),
        vectors_checkpoint_seconds: round(checkpointSeconds),
        vectors_mb_per_s_including_checkpoint: round(mb / (vectorsSeconds + checkpointSeconds)),
        reference_raw_read_mb_per_s: round(mb / rawReadSeconds),
        vectors_vs_raw_read_ratio: round(rawReadSeconds / vectorsSeconds),
        peak_rss_mb: round(process.resourceUsage().maxRSS / 1024),
        integrity,
      }),
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}


if (process.argv.includes('--measure')) {
  await measure();
} else {
  console.error('generating data (first run only)...');
  generate();
  console.error('importing...');
  const child = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--measure'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`benchmark child failed (${child.status})`);
  const figures = JSON.parse(child.stdout);
  const result = {
    benchmark: 'import',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, memory_gb: Math.round(os.totalmem() / 2 ** 30) },
    workload: { images: IMAGES, captions: CAPTIONS, vectors: VECTORS, dim: DIM },
    targets: { captions_seconds: '< 10', vectors_mb_per_s: '> 200', peak_rss_mb: '< 1536' },
    ...figures,
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}
