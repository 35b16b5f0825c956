import type { Modality } from '../../../src-shared/types.ts';
import type { Pooling } from './pooling.ts';
import type { ModelInputs } from './preprocess.ts';

/** Everything needed to run an encoder again exactly as it was registered (stored in its catalog row). */
export interface EncoderSpec {
  dir: string;
  onnxFile: string;
  modality: Modality;
  /** The model inputs we feed, with their element types. */
  inputs: ModelInputs;
  /** The output that is pooled; for 'mean-last-two', the last two hidden layers in order. */
  outputs: string[];
  pooling: Pooling;
  dim: number;
}

/** Input names that tell an encoder's modality. */
export const MODALITY_INPUTS: Record<Modality, readonly string[]> = {
  text: ['input_ids'],
  image: ['pixel_values'],
  audio: ['input_features', 'input_values'],
};

/** Inputs we know how to feed besides the modality's own. */
export const AUXILIARY_INPUTS = ['attention_mask', 'token_type_ids', 'position_ids'] as const;

/** Outputs that already hold one vector per item, best first. */
export const POOLED_OUTPUTS = ['sentence_embedding', 'text_embeds', 'image_embeds', 'audio_embeds', 'embeddings', 'sentence_embeddings'];

export const DEFAULT_POOLING: Record<Modality, Pooling> = { text: 'mean', image: 'cls', audio: 'mean' };
