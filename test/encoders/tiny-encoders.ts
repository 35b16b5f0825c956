// Tiny but real encoders in the Hugging Face folder layout, generated with the project's own ONNX
// builder and fixed seeds: a WordPiece text encoder, a patch-embedding image encoder and a raw-waveform
// audio encoder. Their outputs are deterministic, so tests can compare against a reference.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Graph, type Tensor } from '../../src-main/core/onnx/graph.ts';
import { mulberry32 } from '../../src-main/core/util/rng.ts';

export const WORDS = ['a', 'the', 'dog', 'cat', 'bird', 'bark', 'sing', 'red', 'blue', 'ball', 'tree', 'car', 'on', 'in', 'runs', 'sleeps', 'loud', 'quiet'];

function randn(n: number, seed: number, scale: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 1));
}

function writeModel(dir: string, g: Graph, values: Map<string, Float32Array>, file = 'onnx/model.onnx'): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), g.toModel({ paramsAs: 'initializers', values }));
}

/** A BERT-style WordPiece tokenizer.json over `words` (lower-cased, with ##s and ##ing pieces). */
export function bertTokenizerJson(words: readonly string[]): unknown {
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'];
  const vocab: Record<string, number> = {};
  [...special, ...words, '##s', '##ing'].forEach((w, i) => (vocab[w] = i));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

export interface TextEncoderOptions {
  dim?: number;
  seed?: number;
  /** Also output hidden_states.0..2 (for mean-last-two pooling). */
  hiddenStates?: boolean;
  /** Leave out tokenizer.json (to test the error). */
  noTokenizer?: boolean;
  /** Extra layers of compute (for benchmarks): a [dim, dim] tanh layer each. */
  layers?: number;
  /**
   * Each layer also gets a residual feed-forward block (dim -> 4 dim -> dim), as a transformer layer
   * has: 9 dim^2 multiply-adds per token and layer, 3/4 of a real one's 12 dim^2 (attention
   * projections + FFN; the attention scores themselves are small for captions).
   */
  ffn?: boolean;
  seqLimit?: number;
  /** As one tower of a contrastive export: this ONNX file, outputting its pooled projection as `text_embeds`. */
  tower?: string;
}

/** Text: last_hidden_state = tanh(E[input_ids] W) (+ optional extra layers), with attention_mask and token_type_ids inputs. */
export function makeTextEncoder(dir: string, opts: TextEncoderOptions = {}): string {
  const dim = opts.dim ?? 16;
  const seed = opts.seed ?? 7;
  const vocabSize = 4 + WORDS.length + 2;
  const g = new Graph('tiny_text');
  const ids = g.input('input_ids', 'int64', ['B', 'S']);
  const attention = g.input('attention_mask', 'int64', ['B', 'S']);
  const types = g.input('token_type_ids', 'int64', ['B', 'S']);
  const values = new Map<string, Float32Array>();
  const emb = g.param('embeddings', [vocabSize, dim]);
  values.set('embeddings', randn(vocabSize * dim, seed, 1));
  const typeEmb = g.param('type_embeddings', [2, dim]);
  values.set('type_embeddings', randn(2 * dim, seed + 100, 0.1));
  const f = (shape: (number | string)[]) => [{ dtype: 'float32' as const, shape }];
  const words = g.node('Gather', [emb, ids], f(['B', 'S', dim]), { axis: { i: 0 } })[0]!;
  const typed = g.node('Add', [words, g.node('Gather', [typeEmb, types], f(['B', 'S', dim]), { axis: { i: 0 } })[0]!], f(['B', 'S', dim]))[0]!;
  // Padding positions are zeroed, as attention masks make real models ignore them.
  const keep = g.node('Unsqueeze', [g.node('Cast', [attention], f(['B', 'S']), { to: { i: 1 } })[0]!, g.ints([2])], f(['B', 'S', 1]))[0]!;
  let h: Tensor = g.node('Mul', [typed, keep], f(['B', 'S', dim]))[0]!;
  const hidden: Tensor[] = [h];
  for (let l = 0; l < 1 + (opts.layers ?? 0); l++) {
    const w = g.param(`w${l}`, [dim, dim]);
    values.set(`w${l}`, randn(dim * dim, seed + 1 + l, 1 / Math.sqrt(dim)));
    const m = g.node('MatMul', [h, w], [{ dtype: 'float32', shape: ['B', 'S', dim] }])[0]!;
    h = g.node('Tanh', [m], [{ dtype: 'float32', shape: ['B', 'S', dim] }])[0]!;
    if (opts.ffn) {
      const up = g.param(`up${l}`, [dim, 4 * dim]);
      const down = g.param(`down${l}`, [4 * dim, dim]);
      values.set(`up${l}`, randn(dim * 4 * dim, seed + 50 + 2 * l, 1 / Math.sqrt(dim)));
      values.set(`down${l}`, randn(dim * 4 * dim, seed + 51 + 2 * l, 0.5 / Math.sqrt(4 * dim)));
      const inner = g.node('Tanh', [g.node('MatMul', [h, up], [{ dtype: 'float32', shape: ['B', 'S', 4 * dim] }])[0]!], [{ dtype: 'float32', shape: ['B', 'S', 4 * dim] }])[0]!;
      h = g.node('Add', [h, g.node('MatMul', [inner, down], [{ dtype: 'float32', shape: ['B', 'S', dim] }])[0]!], [{ dtype: 'float32', shape: ['B', 'S', dim] }])[0]!;
    }
    hidden.push(h);
  }
  if (opts.tower) g.output(g.node('ReduceMean', [h, g.ints([1])], f(['B', dim]), { keepdims: { i: 0 } })[0]!, 'text_embeds');
  else g.output(h, 'last_hidden_state');
  if (opts.hiddenStates) hidden.forEach((t, i) => g.output(g.node('Identity', [t], [{ dtype: 'float32', shape: t.shape }])[0]!, `hidden_states.${i}`));
  writeModel(dir, g, values, opts.tower);
  writeJson(path.join(dir, 'config.json'), { model_type: 'bert', hidden_size: dim });
  if (!opts.noTokenizer) {
    writeJson(path.join(dir, 'tokenizer.json'), bertTokenizerJson(WORDS));
    writeJson(path.join(dir, 'tokenizer_config.json'), { model_max_length: opts.seqLimit ?? 32, tokenizer_class: 'BertTokenizer', do_lower_case: true, pad_token: '[PAD]', unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]' });
  }
  return dir;
}

/**
 * Image: ViT-like. 32x32 input, 8x8 patches -> 16 tokens, a mean "CLS" token first; [B, 17, dim].
 * `layers` adds residual MLP blocks (dim -> 4 dim -> dim) so benchmarks get realistic compute.
 */
export function makeImageEncoder(dir: string, opts: { dim?: number; seed?: number; size?: number; patch?: number; layers?: number; tower?: string } = {}): string {
  const dim = opts.dim ?? 12;
  const size = opts.size ?? 32;
  const patch = opts.patch ?? 8;
  const tokens = (size / patch) ** 2;
  const g = new Graph('tiny_image');
  const x = g.input('pixel_values', 'float32', ['B', 3, size, size]);
  const values = new Map<string, Float32Array>();
  const w = g.param('patch_w', [dim, 3, patch, patch]);
  values.set('patch_w', randn(dim * 3 * patch * patch, opts.seed ?? 11, 1 / Math.sqrt(3 * patch * patch)));
  const conv = g.node('Conv', [x, w], [{ dtype: 'float32', shape: ['B', dim, size / patch, size / patch] }], { kernel_shape: { ints: [patch, patch] }, strides: { ints: [patch, patch] } })[0]!;
  const flat = g.node('Reshape', [conv, g.ints([0, dim, tokens])], [{ dtype: 'float32', shape: ['B', dim, tokens] }])[0]!;
  const seq = g.node('Transpose', [flat], [{ dtype: 'float32', shape: ['B', tokens, dim] }], { perm: { ints: [0, 2, 1] } })[0]!;
  let act = g.node('Tanh', [seq], [{ dtype: 'float32', shape: ['B', tokens, dim] }])[0]!;
  for (let l = 0; l < (opts.layers ?? 0); l++) {
    const up = g.param(`up${l}`, [dim, 4 * dim]);
    const down = g.param(`down${l}`, [4 * dim, dim]);
    values.set(`up${l}`, randn(dim * 4 * dim, (opts.seed ?? 11) + 2 * l + 1, 1 / Math.sqrt(dim)));
    values.set(`down${l}`, randn(dim * 4 * dim, (opts.seed ?? 11) + 2 * l + 2, 1 / Math.sqrt(4 * dim)));
    const hidden = g.node('Tanh', [g.node('MatMul', [act, up], [{ dtype: 'float32', shape: ['B', tokens, 4 * dim] }])[0]!], [{ dtype: 'float32', shape: ['B', tokens, 4 * dim] }])[0]!;
    act = g.node('Add', [act, g.node('MatMul', [hidden, down], [{ dtype: 'float32', shape: ['B', tokens, dim] }])[0]!], [{ dtype: 'float32', shape: ['B', tokens, dim] }])[0]!;
  }
  const cls = g.node('ReduceMean', [act, g.ints([1])], [{ dtype: 'float32', shape: ['B', 1, dim] }], { keepdims: { i: 1 } })[0]!;
  // As one tower of a contrastive export (`tower`: its ONNX file): the pooled token as `image_embeds`.
  if (opts.tower) g.output(g.node('Squeeze', [cls, g.ints([1])], [{ dtype: 'float32', shape: ['B', dim] }])[0]!, 'image_embeds');
  else g.output(g.node('Concat', [cls, act], [{ dtype: 'float32', shape: ['B', tokens + 1, dim] }], { axis: { i: 1 } })[0]!, 'last_hidden_state');
  writeModel(dir, g, values, opts.tower);
  writeJson(path.join(dir, 'config.json'), { model_type: 'vit', hidden_size: dim, image_size: size, patch_size: patch });
  writeJson(path.join(dir, 'preprocessor_config.json'), {
    image_processor_type: 'ViTImageProcessor',
    do_resize: true,
    size: { height: size, width: size },
    resample: 2,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
  });
  return dir;
}

/** Audio: wav2vec2-like. Raw 16 kHz waveform -> strided Conv1d frames (25 ms window, 20 ms hop); [B, T, dim]. */
export function makeAudioEncoder(dir: string, opts: { dim?: number; seed?: number } = {}): string {
  const dim = opts.dim ?? 10;
  const win = 400;
  const hop = 320;
  const g = new Graph('tiny_audio');
  const x = g.input('input_values', 'float32', ['B', 'L']);
  const values = new Map<string, Float32Array>();
  const w = g.param('frame_w', [dim, 1, win]);
  values.set('frame_w', randn(dim * win, opts.seed ?? 13, 1 / Math.sqrt(win)));
  const x3 = g.node('Unsqueeze', [x, g.ints([1])], [{ dtype: 'float32', shape: ['B', 1, 'L'] }])[0]!;
  const conv = g.node('Conv', [x3, w], [{ dtype: 'float32', shape: ['B', dim, 'T'] }], { kernel_shape: { ints: [win] }, strides: { ints: [hop] } })[0]!;
  const seq = g.node('Transpose', [conv], [{ dtype: 'float32', shape: ['B', 'T', dim] }], { perm: { ints: [0, 2, 1] } })[0]!;
  g.output(g.node('Tanh', [seq], [{ dtype: 'float32', shape: ['B', 'T', dim] }])[0]!, 'last_hidden_state');
  writeModel(dir, g, values);
  writeJson(path.join(dir, 'config.json'), { model_type: 'wav2vec2', hidden_size: dim });
  writeJson(path.join(dir, 'preprocessor_config.json'), {
    feature_extractor_type: 'Wav2Vec2FeatureExtractor',
    feature_size: 1,
    sampling_rate: 16000,
    padding_value: 0,
    do_normalize: true,
    return_attention_mask: false,
  });
  return dir;
}
