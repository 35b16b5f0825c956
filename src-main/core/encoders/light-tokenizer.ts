// A folder's tokenizer without transformers.js, when its class is the plain PreTrainedTokenizer (the
// npm-built GloVe and Universal Sentence Encoder folders, and any hub folder that says so):
// @huggingface/tokenizers, the engine transformers.js' own PreTrainedTokenizer wraps, with that
// class's padding and truncation (right side, pad_token else eos_token, int64 tensors). Other
// classes (BERT's token type ids, Llama's prefixes...) keep the library's own (hf.ts).
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer as Engine } from '@huggingface/tokenizers';
import type { HfTensor, Tokenizer } from './tokenizer-types.ts';

type Config = Record<string, unknown> & { tokenizer_class?: string; model_max_length?: number; padding_side?: 'left' | 'right' };

/** A token named in the config: a string, or an AddedToken object's content. */
function tokenOf(config: Config, ...keys: string[]): string | null {
  for (const key of keys) {
    const v = config[key];
    if (!v) continue;
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && (v as { __type?: string }).__type === 'AddedToken') return (v as { content: string }).content;
  }
  return null;
}

/** The plain tokenizer of a folder, or null when its class needs the library. */
export async function lightTokenizer(dir: string): Promise<Tokenizer | null> {
  const configFile = path.join(dir, 'tokenizer_config.json');
  const jsonFile = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(configFile) || !fs.existsSync(jsonFile)) return null;
  const config = JSON.parse(await fs.promises.readFile(configFile, 'utf8')) as Config;
  if (config.tokenizer_class !== 'PreTrainedTokenizer') return null;
  const engine = new Engine(JSON.parse(await fs.promises.readFile(jsonFile, 'utf8')) as object, config);
  const pad = tokenOf(config, 'pad_token', 'eos_token');
  const padId = pad === null ? undefined : engine.token_to_id(pad);
  const modelMax = config.model_max_length ?? Infinity;
  const side = config.padding_side ?? 'right';
  const call = (texts: string[], options: { padding: boolean; truncation: boolean; max_length?: number }): Record<string, HfTensor> => {
    const rows = texts.map((t) => {
      const e = engine.encode(t, { add_special_tokens: true, return_token_type_ids: false });
      return { input_ids: e.ids, attention_mask: e.attention_mask } as Record<string, number[]>;
    });
    let length = options.max_length ?? modelMax;
    if (options.padding) length = Math.min(Math.max(...rows.map((r) => r.input_ids!.length)), length);
    length = Math.min(length, modelMax);
    for (const row of rows) {
      for (const key of Object.keys(row)) {
        const v = row[key]!;
        if (v.length > length && options.truncation) v.length = length;
        else if (v.length < length && options.padding) {
          const fill = new Array<number>(length - v.length).fill(key === 'input_ids' ? (padId ?? 0) : 0);
          row[key] = side === 'right' ? [...v, ...fill] : [...fill, ...v];
        }
      }
    }
    const width = rows[0]!.input_ids!.length;
    if (rows.some((r) => r.input_ids!.length !== width)) throw new Error('texts of different lengths need padding and truncation');
    return Object.fromEntries(Object.keys(rows[0]!).map((key) => [key, { dims: [rows.length, width], type: 'int64', data: BigInt64Array.from(rows.flatMap((r) => r[key]!).map(BigInt)) }]));
  };
  return Object.assign(call, { model_max_length: Number.isFinite(modelMax) ? modelMax : undefined }) as Tokenizer;
}
