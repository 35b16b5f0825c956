// What a tokenizer and its tensors look like to the encoders, whichever library made them (the light
// tokenizer or transformers.js: hf.ts).

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
