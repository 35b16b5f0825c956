// Encoders known to pull: each entry's file layout and sizes were read from the repository's file
// listing on the hub, its licence from the original model's card. Towers of one contrastive model
// (CLIP, CLAP) share `family`.
import type { KnownEncoder } from '../../../../src-shared/api.ts';

export const KNOWN_ENCODERS: readonly KnownEncoder[] = [
  { repo: 'Xenova/all-MiniLM-L6-v2', file: 'onnx/model.onnx', modality: 'text', dim: 384, size: '90.4 MB', licence: 'Apache-2.0', note: 'sentence embeddings for captions and queries (English)' },
  { repo: 'Xenova/all-MiniLM-L6-v2', file: 'onnx/model_quantized.onnx', modality: 'text', dim: 384, size: '23 MB', licence: 'Apache-2.0', note: 'the same, 8-bit: a quarter of the size, slightly less exact' },
  { repo: 'Xenova/dinov2-small', file: 'onnx/model.onnx', modality: 'image', dim: 384, size: '88.5 MB', licence: 'Apache-2.0', note: 'general image features (self-supervised): "more like this" for pictures' },
  { repo: 'Xenova/dinov2-small', file: 'onnx/model_quantized.onnx', modality: 'image', dim: 384, size: '24.5 MB', licence: 'Apache-2.0', note: 'the same, 8-bit' },
  { repo: 'Xenova/clip-vit-base-patch32', file: 'onnx/vision_model.onnx', modality: 'image', dim: 512, size: '352 MB', licence: 'MIT', note: "CLIP's image tower", family: 'clip-vit-base-patch32' },
  { repo: 'Xenova/clip-vit-base-patch32', file: 'onnx/text_model_quantized.onnx', modality: 'text', dim: 512, size: '64.5 MB', licence: 'MIT', note: "CLIP's text tower (8-bit)", family: 'clip-vit-base-patch32' },
  { repo: 'Xenova/clap-htsat-unfused', file: 'onnx/audio_model.onnx', modality: 'audio', dim: 512, size: '118 MB', licence: 'Apache-2.0', note: "CLAP's audio tower: sounds and music, not speech", family: 'clap-htsat-unfused' },
  { repo: 'Xenova/clap-htsat-unfused', file: 'onnx/text_model_quantized.onnx', modality: 'text', dim: 512, size: '127 MB', licence: 'Apache-2.0', note: "CLAP's text tower (8-bit)", family: 'clap-htsat-unfused' },
];
