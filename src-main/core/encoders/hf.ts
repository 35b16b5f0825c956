// The only module that imports @huggingface/transformers. We use it for what it does well and we
// should not rewrite (tokenisers, image processors, audio feature extractors), never for running
// models (runtime.ts does that) and never with network access: everything loads from local folders.
// It is loaded on first use: its bundle (onnxruntime-web included) costs ~145 MB in every process
// that imports it, and most never need it (the server's main thread, training processes, and a
// search thread whose text encoder's tokenizer is a plain PreTrainedTokenizer: light-tokenizer.ts).
import type * as Transformers from '@huggingface/transformers';
import { lightTokenizer } from './light-tokenizer.ts';
import type { HfTensor, Tokenizer } from './tokenizer-types.ts';

let library: Promise<typeof Transformers> | null = null;

/** The library, set up for local folders only. */
export function transformers(): Promise<typeof Transformers> {
  library ??= import('@huggingface/transformers').then((t) => {
    t.env.allowRemoteModels = false;
    t.env.allowLocalModels = true;
    // Model ids we pass are absolute folder paths: nothing is prepended to them.
    t.env.localModelPath = '';
    t.env.useFSCache = false;
    t.env.useBrowserCache = false;
    return t;
  });
  return library;
}

export type RawImage = Transformers.RawImage;

/** An RGB image as the library's processors take it. */
export async function rawImage(data: Uint8ClampedArray, width: number, height: number, channels: 1 | 2 | 3 | 4): Promise<RawImage> {
  const { RawImage: Image } = await transformers();
  return new Image(data, width, height, channels);
}

export type { HfTensor, Tokenizer };

export interface ImageProcessor {
  (images: RawImage[]): Promise<Record<string, HfTensor>>;
  /** Whether the fused path below runs (else the library's own). */
  readonly fused: boolean;
}
export interface FeatureExtractor {
  (audio: Float32Array, options?: Record<string, unknown>): Promise<Record<string, HfTensor>>;
  config: { sampling_rate?: number; [k: string]: unknown };
}

const LOCAL = { local_files_only: true } as const;

export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  const light = await lightTokenizer(dir);
  if (light) return light;
  const { AutoTokenizer } = await transformers();
  return (await AutoTokenizer.from_pretrained(dir, LOCAL)) as unknown as Tokenizer;
}

/** fused: false always takes the library's own path (the reference the fused path is tested against). */
export async function loadImageProcessor(dir: string, options: { fused?: boolean } = {}): Promise<ImageProcessor> {
  const { AutoImageProcessor, ImageProcessor: HfImageProcessor } = await transformers();
  const p = await AutoImageProcessor.from_pretrained(dir, LOCAL);
  const library = (images: RawImage[]) => (p as unknown as ImageProcessor)(images);
  if (options.fused === false || !usesStandardSteps(p, HfImageProcessor)) return Object.assign(library, { fused: false });
  const fused = async (images: RawImage[]) => (await standardBatch(p as unknown as StandardProcessor, images)) ?? library(images);
  return Object.assign(fused, { fused: true });
}

/** The fields and steps of transformers.js' base ImageProcessor that the fast path reads or calls. */
interface StandardProcessor {
  do_convert_rgb?: boolean;
  do_resize?: boolean;
  do_center_crop?: boolean;
  crop_size: number | { width: number; height: number };
  do_rescale?: boolean;
  rescale_factor: number;
  do_normalize?: boolean;
  image_mean: number | number[];
  image_std: number | number[];
  resize(image: RawImage): Promise<RawImage>;
}

/**
 * Whether a processor is the library's base ImageProcessor pipeline (ViT, CLIP, DINOv2/BiT, SigLIP,
 * DeiT...) with none of its rarer steps on: then standardBatch gives the same output faster.
 */
function usesStandardSteps(p: unknown, HfImageProcessor: typeof Transformers.ImageProcessor): boolean {
  if (!(p instanceof HfImageProcessor)) return false;
  const base = HfImageProcessor.prototype as unknown as Record<string, unknown>;
  const own = p as unknown as Record<string, unknown>;
  if (!['_call', 'preprocess', 'rescale'].every((m) => own[m] === base[m])) return false;
  return !own.do_crop_margin && !own.do_thumbnail && !own.do_pad && !own.do_flip_channel_order;
}

/**
 * The base ImageProcessor's preprocess and batching, with its last steps fused: the library's own
 * RGB conversion, resize and centre crop, then rescale, normalise and HWC -> CHW in one pass straight
 * into the batch, with the library's arithmetic and roundings (the output is bit-identical; tested).
 * The library does those last steps as separate passes and a generic permute (a modulo and a division
 * per element): most of its time, taken from the encoder on a small machine. Null: images of
 * different sizes or channel counts, left to the library (which reports them).
 */
async function standardBatch(p: StandardProcessor, images: RawImage[]): Promise<Record<string, HfTensor> | null> {
  const ready = await Promise.all(
    images.map(async (input) => {
      let image = input;
      if (p.do_convert_rgb) image = image.rgb();
      if (p.do_resize) image = await p.resize(image);
      if (p.do_center_crop) {
        const crop = Number.isInteger(p.crop_size) ? { width: p.crop_size as number, height: p.crop_size as number } : (p.crop_size as { width: number; height: number });
        image = await image.center_crop(crop.width, crop.height);
      }
      return image;
    }),
  );
  const { width, height, channels } = ready[0]!;
  if (ready.some((im) => im.width !== width || im.height !== height || im.channels !== channels)) return null;
  const perChannel = (v: number | number[]): number[] | null => (Array.isArray(v) ? (v.length === channels ? v : null) : new Array<number>(channels).fill(v));
  const mean = perChannel(p.image_mean);
  const std = perChannel(p.image_std);
  if (p.do_normalize && (!mean || !std)) return null;
  // Pixels are bytes: each channel's 256 possible results are computed once, with the library's
  // operations in its order (float32 pixels, rescaled, then normalised, rounded to float32 each time).
  const tables = Array.from({ length: channels }, (_, c) =>
    Float32Array.from({ length: 256 }, (_, x) => {
      let v = x;
      if (p.do_rescale) v = Math.fround(p.rescale_factor * v);
      if (p.do_normalize) v = Math.fround((v - mean![c]!) / std![c]!);
      return v;
    }),
  );
  const plane = width * height;
  const out = new Float32Array(ready.length * channels * plane);
  ready.forEach((im, b) => {
    const src = im.data;
    for (let c = 0; c < channels; c++) {
      const dst = (b * channels + c) * plane;
      const table = tables[c]!;
      for (let i = 0, j = c; i < plane; i++, j += channels) out[dst + i] = table[src[j]!]!;
    }
  });
  return { pixel_values: { dims: [ready.length, channels, height, width], type: 'float32', data: out } };
}

export async function loadFeatureExtractor(dir: string): Promise<FeatureExtractor> {
  const { AutoFeatureExtractor } = await transformers();
  return (await AutoFeatureExtractor.from_pretrained(dir, LOCAL)) as unknown as FeatureExtractor;
}
