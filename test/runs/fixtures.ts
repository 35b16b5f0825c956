import path from 'node:path';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { importVectors } from '../../src-main/core/datasets/vectors.ts';
import { syntheticPairs } from '../model/synthetic.ts';
import { tempCatalog, tempDir, writeFiles, writeNpy } from '../helpers.ts';

export const DIMS = { image: 16, text: 12 };

/** A catalog with a manifest dataset (train/val/test) and precomputed vectors for every item. */
export async function catalogWithVectors(dir = tempDir()): Promise<{ dir: string; c: ReturnType<typeof tempCatalog> }> {
  const items = 300;
  const data = syntheticPairs({ items, captionsPerItem: 5, latent: 5, dimA: DIMS.image, dimB: DIMS.text, noise: 0.05, captionSpread: 0.15, seed: 3 });
  const lines: string[] = [];
  const textIds: string[] = [];
  for (let i = 0; i < items; i++) {
    const split = i < 240 ? 'train' : i < 270 ? 'val' : 'test';
    const p = `img/${i}.jpg`;
    lines.push(JSON.stringify({ path: p, captions: [0, 1, 2, 3, 4].map((k) => `caption ${k} of item ${i}`), split }));
    for (let k = 0; k < 5; k++) textIds.push(`${p}#${k}`);
  }
  writeFiles(dir, { 'm.jsonl': lines.join('\n'), 'img.txt': Array.from({ length: items }, (_, i) => `img/${i}.jpg`).join('\n'), 'txt.txt': textIds.join('\n') });
  writeNpy(path.join(dir, 'img.npy'), '<f4', [items, DIMS.image], data.a);
  writeNpy(path.join(dir, 'txt.npy'), '<f4', [items * 5, DIMS.text], data.b);
  const c = tempCatalog(dir);
  await importDataset(c, 'manifest', path.join(dir, 'm.jsonl'), { name: 'synth', hashMedia: false });
  importVectors(c, path.join(dir, 'img.npy'), { dataset: 'synth', encoder: 'img-enc', ids: path.join(dir, 'img.txt') });
  importVectors(c, path.join(dir, 'txt.npy'), { dataset: 'synth', encoder: 'txt-enc', ids: path.join(dir, 'txt.txt') });
  return { dir, c };
}

/** A small, fast connector configuration (overrides of the laptop preset). */
export const SMALL = { dim: 32, hidden: 64, experts: 4, topK: 2, layers: 1, steps: 300, batchSize: 64, evalEvery: 100, patience: 5, lr: 3e-3 };

export const AUDIO_DIM = 10;

/**
 * A catalog of two pairs in one manifest dataset: the image-text pairs of catalogWithVectors and a
 * small, noisier audio-text set (60 train, 10 val, 10 test sounds with 2 captions each) whose text
 * vectors come from the same text encoder. Its val recall peaks at other steps than image-text's.
 */
export async function catalogWithTwoPairs(dir = tempDir()): Promise<{ dir: string; c: ReturnType<typeof tempCatalog> }> {
  const items = 300;
  const sounds = 80;
  const img = syntheticPairs({ items, captionsPerItem: 5, latent: 5, dimA: DIMS.image, dimB: DIMS.text, noise: 0.05, captionSpread: 0.15, seed: 3 });
  const snd = syntheticPairs({ items: sounds, captionsPerItem: 2, latent: 5, dimA: AUDIO_DIM, dimB: DIMS.text, noise: 0.3, captionSpread: 0.4, seed: 4, world: 9 });
  const lines: string[] = [];
  const textIds: string[] = [];
  for (let i = 0; i < items; i++) {
    const p = `img/${i}.jpg`;
    lines.push(JSON.stringify({ path: p, captions: [0, 1, 2, 3, 4].map((k) => `caption ${k} of item ${i}`), split: i < 240 ? 'train' : i < 270 ? 'val' : 'test' }));
    for (let k = 0; k < 5; k++) textIds.push(`${p}#${k}`);
  }
  for (let i = 0; i < sounds; i++) {
    const p = `snd/${i}.wav`;
    lines.push(JSON.stringify({ path: p, captions: [0, 1].map((k) => `sound caption ${k} of ${i}`), split: i < 60 ? 'train' : i < 70 ? 'val' : 'test' }));
    for (let k = 0; k < 2; k++) textIds.push(`${p}#${k}`);
  }
  const text = new Float32Array(img.b.length + snd.b.length);
  text.set(img.b);
  text.set(snd.b, img.b.length);
  writeFiles(dir, {
    'm.jsonl': lines.join('\n'),
    'img.txt': Array.from({ length: items }, (_, i) => `img/${i}.jpg`).join('\n'),
    'snd.txt': Array.from({ length: sounds }, (_, i) => `snd/${i}.wav`).join('\n'),
    'txt.txt': textIds.join('\n'),
  });
  writeNpy(path.join(dir, 'img.npy'), '<f4', [items, DIMS.image], img.a);
  writeNpy(path.join(dir, 'snd.npy'), '<f4', [sounds, AUDIO_DIM], snd.a);
  writeNpy(path.join(dir, 'txt.npy'), '<f4', [textIds.length, DIMS.text], text);
  const c = tempCatalog(dir);
  await importDataset(c, 'manifest', path.join(dir, 'm.jsonl'), { name: 'synth', hashMedia: false });
  importVectors(c, path.join(dir, 'img.npy'), { dataset: 'synth', encoder: 'img-enc', ids: path.join(dir, 'img.txt') });
  importVectors(c, path.join(dir, 'snd.npy'), { dataset: 'synth', encoder: 'snd-enc', ids: path.join(dir, 'snd.txt') });
  importVectors(c, path.join(dir, 'txt.npy'), { dataset: 'synth', encoder: 'txt-enc', ids: path.join(dir, 'txt.txt') });
  return { dir, c };
}
