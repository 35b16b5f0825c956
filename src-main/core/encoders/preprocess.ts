// Turns catalog items (texts, image files, audio files) into the feeds an encoder model takes,
// using the folder's own tokenizer / image processor / feature extractor. A bad item becomes a
// per-item error; the rest of the batch goes on.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Modality } from '../../../src-shared/types.ts';
import { EncoderError } from './errors.ts';
import { loadFeatureExtractor, loadImageProcessor, loadTokenizer, rawImage, type HfTensor } from './hf.ts';
import { decodeAudio, decodeImage, withinTime, type DecodeResize } from './media.ts';

/** A host tensor that can cross a worker boundary. */
export interface HostTensor {
  type: 'float32' | 'int64' | 'int32';
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array;
}

export type EncoderInput = { text: string } | { file: string };

export interface PreparedBatch {
  /** Indices (into the inputs) of the items in the feeds, in feed order. */
  ok: number[];
  errors: { index: number; message: string }[];
  feeds: Record<string, HostTensor>;
  /** [B, S] 1 for real tokens, for mean pooling over text tokens; absent = every position counts. */
  mask?: Float32Array;
  /** [B] the real share of each padded audio clip: pooling averages only that share of the output frames. */
  shares?: Float32Array;
}

export interface Preprocessor {
  readonly modality: Modality;
  prepare(inputs: readonly EncoderInput[]): Promise<PreparedBatch>;
  /** One synthetic item (a short text, a grey image, a tone), to check a model end to end. */
  probe(): Promise<PreparedBatch>;
}

/** What the model accepts, from its metadata: input name -> element type. */
export type ModelInputs = Record<string, string>;

/** Texts past this many tokens are cut when the tokenizer sets no limit of its own. */
const DEFAULT_MAX_TOKENS = 512;

export async function createPreprocessor(dir: string, modality: Modality, modelInputs: ModelInputs): Promise<Preprocessor> {
  switch (modality) {
    case 'text':
      return textPreprocessor(dir, modelInputs);
    case 'image':
      return imagePreprocessor(dir, modelInputs);
    case 'audio':
      return audioPreprocessor(dir, modelInputs);
  }
}

async function textPreprocessor(dir: string, modelInputs: ModelInputs): Promise<Preprocessor> {
  const tokenizer = await loadOr(() => loadTokenizer(dir), `cannot load the tokenizer in ${dir}`);
  const limit = tokenizer.model_max_length;
  const maxLength = limit && limit > 0 && limit < 100_000 ? limit : DEFAULT_MAX_TOKENS;
  const pre: Preprocessor = {
    modality: 'text',
    async prepare(inputs) {
      const ok: number[] = [];
      const errors: PreparedBatch['errors'] = [];
      const texts: string[] = [];
      inputs.forEach((input, index) => {
        const text = 'text' in input ? input.text : undefined;
        if (text === undefined) errors.push({ index, message: 'a text encoder needs text, not a file' });
        else if (text.trim() === '') errors.push({ index, message: 'the text is empty' });
        else {
          ok.push(index);
          texts.push(text);
        }
      });
      if (texts.length === 0) return { ok, errors, feeds: {} };
      const enc = tokenizer(texts, { padding: true, truncation: true, max_length: maxLength });
      const ids = enc.input_ids!;
      const [b, s] = ids.dims as [number, number];
      const attention = enc.attention_mask?.data as BigInt64Array | undefined;
      const feeds: Record<string, HostTensor> = {};
      for (const [name, type] of Object.entries(modelInputs)) {
        if (name === 'input_ids') feeds[name] = ints(type, [b, s], ids.data as BigInt64Array);
        else if (name === 'attention_mask') feeds[name] = ints(type, [b, s], attention ?? new BigInt64Array(b * s).fill(1n));
        else if (name === 'token_type_ids') feeds[name] = ints(type, [b, s], (enc.token_type_ids?.data as BigInt64Array) ?? new BigInt64Array(b * s));
        else if (name === 'position_ids') feeds[name] = ints(type, [b, s], BigInt64Array.from({ length: b * s }, (_, i) => BigInt(i % s)));
      }
      const mask = attention ? Float32Array.from(attention, Number) : undefined;
      return { ok, errors, feeds, ...(mask ? { mask } : {}) };
    },
    probe: () => pre.prepare([{ text: 'a dog barks at the red ball' }]),
  };
  return pre;
}

async function imagePreprocessor(dir: string, modelInputs: ModelInputs): Promise<Preprocessor> {
  const processor = await loadOr(() => loadImageProcessor(dir), `cannot load the image processor (preprocessor_config.json) in ${dir}`);
  const target = resizeTarget(dir);
  return {
    modality: 'image',
    async prepare(inputs) {
      const decoded = await Promise.allSettled(inputs.map((input) => ('file' in input ? withinTime(decodeImage(input.file, target)) : Promise.reject(new EncoderError('an image encoder needs an image file')))));
      const { ok, errors, values } = settle(decoded);
      if (values.length === 0) return { ok, errors, feeds: {} };
      const out = await processor(values);
      return { ok, errors, feeds: pick(out, modelInputs) };
    },
    async probe() {
      const grey = await rawImage(new Uint8ClampedArray(96 * 80 * 3).fill(128), 96, 80, 3);
      return { ok: [0], errors: [], feeds: pick(await processor([grey]), modelInputs) };
    },
  };
}

async function audioPreprocessor(dir: string, modelInputs: ModelInputs): Promise<Preprocessor> {
  const extractor = await loadOr(() => loadFeatureExtractor(dir), `cannot load the feature extractor (preprocessor_config.json) in ${dir}`);
  const rate = Number(extractor.config.sampling_rate ?? 16000);
  return {
    modality: 'audio',
    async prepare(inputs) {
      const decoded = await Promise.allSettled(
        inputs.map(async (input) => {
          if (!('file' in input)) throw new EncoderError('an audio encoder needs an audio file');
          const samples = await withinTime(decodeAudio(input.file, rate));
          return extractor(samples, { sampling_rate: rate });
        }),
      );
      const { ok, errors, values } = settle(decoded);
      if (values.length === 0) return { ok, errors, feeds: {} };
      const stacked = stack(values, modelInputs);
      return { ok, errors, feeds: stacked.feeds, ...(stacked.shares ? { shares: stacked.shares } : {}) };
    },
    async probe() {
      const tone = Float32Array.from({ length: rate }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / rate));
      return { ok: [0], errors: [], feeds: stack([await extractor(tone, { sampling_rate: rate })], modelInputs).feeds };
    },
  };
}

/**
 * How decoding may already resize, so the processor's own resize has (almost) nothing left to do and
 * the work runs on libvips' threads instead of this one: to exactly height x width for processors that
 * resize to a fixed box (ViT, DINOv2 at a fixed size), else until the shortest edge reaches the size
 * (CLIP-style shortest_edge + centre crop, which the processor then crops). Undefined: no resize.
 */
function resizeTarget(dir: string): DecodeResize | undefined {
  let config: { do_resize?: boolean; resample?: number; size?: number | { height?: number; width?: number; shortest_edge?: number }; crop_size?: number | { height?: number; width?: number } };
  try {
    config = JSON.parse(readFileSync(path.join(dir, 'preprocessor_config.json'), 'utf8')) as typeof config;
  } catch {
    return undefined;
  }
  if (config.do_resize === false) return undefined;
  // PIL's resample codes, as the processor configs use them.
  const kernel = ({ 0: 'nearest', 2: 'linear', 3: 'cubic' } as const)[config.resample as 0 | 2 | 3] ?? 'lanczos3';
  const size = config.size;
  const side = typeof size === 'number' ? size : size?.shortest_edge;
  if (side) return { width: side, height: side, fit: 'outside', kernel };
  if (size && typeof size === 'object' && size.width && size.height) return { width: size.width, height: size.height, fit: 'fill', kernel };
  return undefined;
}

function settle<T>(results: PromiseSettledResult<T>[]): { ok: number[]; errors: PreparedBatch['errors']; values: T[] } {
  const ok: number[] = [];
  const errors: PreparedBatch['errors'] = [];
  const values: T[] = [];
  results.forEach((r, index) => {
    if (r.status === 'fulfilled') {
      ok.push(index);
      values.push(r.value);
    } else errors.push({ index, message: r.reason instanceof Error ? r.reason.message : String(r.reason) });
  });
  return { ok, errors, values };
}

/** The processor outputs the model takes, converted to the element types it declares. */
function pick(out: Record<string, HfTensor>, modelInputs: ModelInputs): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const [name, type] of Object.entries(modelInputs)) {
    const t = out[name];
    if (!t) continue;
    feeds[name] = type === 'float32' ? { type: 'float32', dims: [...t.dims], data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>) } : ints(type, [...t.dims], t.data as BigInt64Array);
  }
  return feeds;
}

/**
 * Stacks per-clip feature tensors ([1, ...]) into one batch, zero-padding the time axis (axis 1) to the
 * longest clip; fixed-length extractors (Whisper, AST, CLAP) need no padding. `shares` tells each
 * clip's real share of the padded length, for mean pooling over the model's output frames.
 */
function stack(clips: Record<string, HfTensor>[], modelInputs: ModelInputs): { feeds: Record<string, HostTensor>; shares?: Float32Array } {
  const feeds: Record<string, HostTensor> = {};
  let lengths: number[] | undefined;
  let longest = 0;
  for (const [name, type] of Object.entries(modelInputs)) {
    if (name === 'attention_mask' && !clips[0]![name]) continue;
    const parts = clips.map((c) => c[name]);
    if (parts.some((p) => !p)) continue;
    const dims = parts.map((p) => p!.dims);
    const time = Math.max(...dims.map((d) => d[1] ?? 1));
    const inner = dims[0]!.slice(2).reduce((a, n) => a * n, 1);
    const data = new Float32Array(clips.length * time * inner);
    parts.forEach((p, i) => {
      const src = p!.data;
      for (let j = 0; j < src.length; j++) data[i * time * inner + j] = Number(src[j]);
    });
    if (name !== 'attention_mask') {
      lengths = dims.map((d) => d[1] ?? 1);
      longest = time;
    }
    const batchDims = [clips.length, time, ...dims[0]!.slice(2)];
    feeds[name] = type === 'float32' ? { type: 'float32', dims: batchDims, data } : ints(type, batchDims, BigInt64Array.from(data, (v) => BigInt(Math.round(v))));
  }
  if ('attention_mask' in modelInputs && !feeds.attention_mask && lengths) {
    const m = new BigInt64Array(clips.length * longest);
    lengths.forEach((len, i) => m.fill(1n, i * longest, i * longest + len));
    feeds.attention_mask = ints(modelInputs.attention_mask!, [clips.length, longest], m);
  }
  const padded = lengths && lengths.some((l) => l !== longest);
  return padded ? { feeds, shares: Float32Array.from(lengths!, (l) => l / longest) } : { feeds };
}

function ints(type: string, dims: number[], data: BigInt64Array): HostTensor {
  return type === 'int32' ? { type: 'int32', dims, data: Int32Array.from(data, Number) } : { type: 'int64', dims, data };
}

async function loadOr<T>(load: () => Promise<T>, what: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new EncoderError(`${what}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  }
}
