// The tokenizer of a plain PreTrainedTokenizer folder without transformers.js (light-tokenizer.ts)
// gives the library's own ids, masks, padding and truncation.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizer, transformers } from '../../src-main/core/encoders/hf.ts';
import { lightTokenizer } from '../../src-main/core/encoders/light-tokenizer.ts';
import { tempDir } from '../helpers.ts';

function writeFolder(dir: string, tokenizerClass: string): void {
  const vocab = Object.fromEntries(['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'a', 'red', 'apple', 'on', 'the', 'table', 'cat'].map((w, i) => [w, i]));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: tokenizerClass, model_max_length: 6, pad_token: '[PAD]', unk_token: '[UNK]' }));
  fs.writeFileSync(
    path.join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]'].map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }], pair: [], special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } } },
      decoder: null,
      model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
    }),
  );
}

const plain = (r: Record<string, { dims: number[]; data: ArrayLike<bigint | number> }>) => Object.fromEntries(Object.entries(r).map(([k, t]) => [k, { dims: t.dims, data: Array.from(t.data, Number) }]));

describe('the light tokenizer', () => {
  it("matches transformers.js' PreTrainedTokenizer: ids, masks, right padding, truncation at the model's length", async () => {
    const dir = path.join(tempDir(), 'tok');
    writeFolder(dir, 'PreTrainedTokenizer');
    const light = (await lightTokenizer(dir))!;
    const { AutoTokenizer } = await transformers();
    const library = (await AutoTokenizer.from_pretrained(dir, { local_files_only: true })) as unknown as typeof light;
    for (const texts of [['a red apple'], ['A red apple on the table today', 'cat', 'the Cat'], ['zebra']]) {
      for (const options of [{ padding: true, truncation: true }, { padding: true, truncation: true, max_length: 4 }]) {
        expect(plain(light(texts, options)), `${texts} ${JSON.stringify(options)}`).toEqual(plain(library(texts, options)));
      }
    }
    expect(plain(light(['A red apple on the table today', 'cat'], { padding: true, truncation: true }))).toEqual({
      input_ids: { dims: [2, 6], data: [2, 4, 5, 6, 7, 8, 2, 10, 3, 0, 0, 0] },
      attention_mask: { dims: [2, 6], data: [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0] },
    });
    expect(light.model_max_length).toBe(6);
    // Another class keeps the library's tokenizer.
    const bert = path.join(tempDir(), 'bert');
    writeFolder(bert, 'BertTokenizer');
    expect(await lightTokenizer(bert)).toBeNull();
    expect(Object.keys((await loadTokenizer(bert))(['a cat'], { padding: true, truncation: true })).sort()).toEqual(['attention_mask', 'input_ids', 'token_type_ids']);
  });
});
