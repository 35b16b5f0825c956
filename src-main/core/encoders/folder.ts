// Reads an encoder folder in the usual Hugging Face layout: config.json, tokenizer / preprocessor
// configs, and onnx/*.onnx (or model.onnx at the top). Nothing here touches the network.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Modality } from '../../../src-shared/types.ts';
import { EncoderError } from './errors.ts';

export const TOKENIZER_FILES = ['tokenizer.json'] as const;
export const PREPROCESSOR_FILES = ['preprocessor_config.json'] as const;
/** Files besides the weights that change what an encoder outputs, so they are part of its hash. */
export const HASHED_CONFIGS = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'preprocessor_config.json', 'altmoe.json'];

/** Which ONNX file holds which modality's tower when a folder has several (CLIP, CLAP exports). */
export const TOWER_FILES: Record<Modality, string[]> = {
  text: ['text_model.onnx', 'text_encoder.onnx'],
  image: ['vision_model.onnx', 'image_encoder.onnx'],
  audio: ['audio_model.onnx', 'audio_encoder.onnx', 'encoder_model.onnx'],
};

/** Where a catalog keeps the encoders it builds or pulls: beside it, so a copied catalog folder keeps them. */
export const catalogEncodersDir = (catalogFile: string): string => `${catalogFile}.encoders`;

/** Finds the ONNX file to run: `file` if given, else the folder's single model or the modality's tower. */
export function findOnnxFile(dir: string, opts: { file?: string; modality?: Modality } = {}): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new EncoderError(`"${dir}" is not a folder`);
  if (opts.file) {
    const f = path.resolve(dir, opts.file);
    if (!existsSync(f)) throw new EncoderError(`"${opts.file}" does not exist in ${dir}`);
    return f;
  }
  const candidates = [...listOnnx(path.join(dir, 'onnx')), ...listOnnx(dir)];
  if (candidates.length === 0) throw new EncoderError(`no .onnx file in ${dir} or ${path.join(dir, 'onnx')}`);
  for (const preferred of ['model.onnx', ...(opts.modality ? TOWER_FILES[opts.modality] : [])]) {
    const hit = candidates.find((c) => path.basename(c) === preferred);
    if (hit) return hit;
  }
  // Quantised variants (model_quantized.onnx, model_fp16.onnx) are alternatives, not towers.
  if (candidates.length === 1) return candidates[0]!;
  throw new EncoderError(
    `${dir} holds several models (${candidates.map((c) => path.relative(dir, c)).join(', ')}); choose one with --file${opts.modality ? '' : ' or name the modality'}`,
  );
}

function listOnnx(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => path.join(dir, f));
}

export function hasFile(dir: string, names: readonly string[]): boolean {
  return names.some((n) => existsSync(path.join(dir, n)));
}

/**
 * Bumped whenever our decoding or preprocessing changes what vectors come out (e.g. how images are
 * resized while decoding): vectors made before then no longer match their encoder's hash.
 */
export const PREPROCESSING_VERSION = 2;

/**
 * A content hash of everything that decides the output vectors: the ONNX file (and its external
 * weight files), the tokenizer / preprocessor configs, and our own choices (output, pooling).
 */
export async function encoderHash(dir: string, onnxFile: string, choices: Record<string, unknown>): Promise<string> {
  const h = createHash('sha256');
  const weights = [onnxFile, ...externalDataFiles(onnxFile)];
  for (const f of weights) {
    h.update(`file:${path.basename(f)}\n`);
    await hashFile(h, f);
  }
  for (const name of HASHED_CONFIGS) {
    const f = path.join(dir, name);
    if (existsSync(f)) {
      h.update(`config:${name}\n`);
      await hashFile(h, f);
    }
  }
  const all = { ...choices, preprocessing: PREPROCESSING_VERSION };
  h.update(`choices:${JSON.stringify(all, Object.keys(all).sort())}`);
  return `sha256:${h.digest('hex').slice(0, 32)}`;
}

function hashFile(h: Hash, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    createReadStream(file)
      .on('data', (chunk) => h.update(chunk))
      .on('end', resolve)
      .on('error', reject);
  });
}

/** Weight files stored next to a large ONNX model (model.onnx_data, model.onnx.data). */
function externalDataFiles(onnxFile: string): string[] {
  return [`${onnxFile}_data`, `${onnxFile}.data`].filter((f) => existsSync(f));
}
