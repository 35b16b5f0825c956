// The only module that imports @huggingface/transformers. We use it for what it does well and we
// should not rewrite (tokenisers, image processors, audio feature extractors), never for running
// models (runtime.ts does that) and never with network access: everything loads from local folders.
import { AutoFeatureExtractor, AutoImageProcessor, AutoTokenizer, RawImage, env } from '@huggingface/transformers';

env.allowRemoteModels = false;
env.allowLocalModels = true;
// Model ids we pass are absolute folder paths: nothing is prepended to them.
env.localModelPath = '';
env.useFSCache = false;
env.useBrowserCache = false;

export { RawImage };

/** A Hugging Face tensor as transformers.js returns it. */
export interface HfTensor {
  dims: number[];
  type: string;
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

export interface Tokenizer {
  (texts: string[], options: { padding: boolean; truncation: boolean; max_length?: number }): Record<string, HfTensor>;
  model_max_length?: number;
}

export type ImageProcessor = (images: InstanceType<typeof RawImage>[]) => Promise<Record<string, HfTensor>>;
export interface FeatureExtractor {
  (audio: Float32Array, options?: Record<string, unknown>): Promise<Record<string, HfTensor>>;
  config: { sampling_rate?: number; [k: string]: unknown };
}

const LOCAL = { local_files_only: true } as const;

export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  return (await AutoTokenizer.from_pretrained(dir, LOCAL)) as unknown as Tokenizer;
}

export async function loadImageProcessor(dir: string): Promise<ImageProcessor> {
  const p = await AutoImageProcessor.from_pretrained(dir, LOCAL);
  return (images) => (p as unknown as ImageProcessor)(images);
}

export async function loadFeatureExtractor(dir: string): Promise<FeatureExtractor> {
  return (await AutoFeatureExtractor.from_pretrained(dir, LOCAL)) as unknown as FeatureExtractor;
}
