import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImportFormat } from '../../src-shared/types.ts';
import { CatalogError } from '../../src-main/core/catalog/errors.ts';
import { ImportError } from '../../src-main/core/datasets/errors.ts';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { dump, tempCatalog, tempDir, writeFiles } from '../helpers.ts';

const goodCoco = JSON.stringify({
  images: [{ id: 1, file_name: 'a.jpg' }],
  annotations: [{ id: 1, image_id: 1, caption: 'a cat' }],
});

interface Case {
  name: string;
  format: Exclude<ImportFormat, 'npy'>;
  file: string;
  content: string | Buffer;
  error: RegExp;
}

const CASES: Case[] = [
  { name: 'malformed JSON', format: 'coco', file: 'c.json', content: '{"images": [}', error: /c\.json: malformed or truncated JSON/ },
  { name: 'truncated JSON', format: 'coco', file: 'c.json', content: goodCoco.slice(0, goodCoco.length - 9), error: /malformed or truncated JSON/ },
  { name: 'truncated CSV (open quote)', format: 'clotho', file: 'clotho_captions_development.csv', content: 'file_name,caption_1\na.wav,"never closed\n', error: /malformed CSV \(Quote Not Closed/ },
  { name: 'CSV with a ragged row', format: 'clotho', file: 'clotho_captions_development.csv', content: 'file_name,caption_1\na.wav,x,extra\n', error: /malformed CSV/ },
  { name: 'karpathy file imported as coco', format: 'coco', file: 'dataset_coco.json', content: JSON.stringify({ images: [{ filename: 'a.jpg', sentences: [] }] }), error: /"annotations" to be an array \(this looks like a Karpathy split file: use format coco-karpathy\)/ },
  { name: 'coco file imported as karpathy', format: 'coco-karpathy', file: 'c.json', content: goodCoco, error: /this looks like a COCO captions file: use format coco/ },
  { name: 'audiocaps csv imported as clotho', format: 'clotho', file: 'train.csv', content: 'audiocap_id,youtube_id,start_time,caption\n1,a,0,x\n', error: /missing column\(s\) file_name, caption_1 .*is this the right format/ },
  { name: 'flickr csv imported as token', format: 'flickr-token', file: 'results.csv', content: 'image_name| comment_number| comment\n1.jpg| 0| x\n', error: /results\.csv:1: expected "image\.jpg#k<TAB>caption"/ },
  { name: 'token file imported as flickr csv', format: 'flickr-csv', file: 'r.token', content: '1.jpg#0\tA dog .\n', error: /expected the header "image_name\| comment_number\| comment"/ },
  { name: 'caption referencing an unknown image', format: 'coco', file: 'c.json', content: JSON.stringify({ images: [{ id: 1, file_name: 'a.jpg' }], annotations: [{ id: 1, image_id: 7, caption: 'x' }] }), error: /annotations\[0\]: caption refers to unknown image id 7/ },
  { name: 'duplicate image id', format: 'coco', file: 'c.json', content: JSON.stringify({ images: [{ id: 1, file_name: 'a.jpg' }, { id: 1, file_name: 'b.jpg' }], annotations: [] }), error: /images\[1\]: duplicate image id 1/ },
  { name: 'duplicate caption id', format: 'coco', file: 'c.json', content: JSON.stringify({ images: [{ id: 1, file_name: 'a.jpg' }], annotations: [{ id: 5, image_id: 1, caption: 'x' }, { id: 5, image_id: 1, caption: 'y' }] }), error: /annotations\[1\]: duplicate caption id "ann:5"/ },
  { name: 'duplicate karpathy sentid', format: 'coco-karpathy', file: 'k.json', content: JSON.stringify({ images: [{ filename: 'a.jpg', split: 'train', sentences: [{ raw: 'x', sentid: 1 }] }, { filename: 'b.jpg', split: 'train', sentences: [{ raw: 'y', sentid: 1 }] }] }), error: /duplicate caption id "sent:1"/ },
  { name: 'duplicate clotho file', format: 'clotho', file: 'clotho_captions_development.csv', content: 'file_name,caption_1\na.wav,x\na.wav,y\n', error: /:3: duplicate entry for "a\.wav"/ },
  { name: 'duplicate audiocap id', format: 'audiocaps', file: 'train.csv', content: 'audiocap_id,youtube_id,start_time,caption\n1,a,0,x\n1,b,0,y\n', error: /duplicate caption id "audiocap:1"/ },
  { name: 'duplicate flickr caption number', format: 'flickr-token', file: 'r.token', content: '1.jpg#0\tx\n1.jpg#0\ty\n', error: /r\.token:2: duplicate caption id "1\.jpg#0"/ },
  { name: 'non-UTF-8 JSON', format: 'coco', file: 'c.json', content: Buffer.concat([Buffer.from('{"images": [{"id": 1, "file_name": "caf'), Buffer.from([0xe9]), Buffer.from('.jpg"}], "annotations": []}')]), error: /c\.json: not valid UTF-8 text \(near byte 39\)/ },
  { name: 'non-UTF-8 CSV (Latin-1 caption)', format: 'clotho', file: 'clotho_captions_development.csv', content: Buffer.concat([Buffer.from('file_name,caption_1\na.wav,caf'), Buffer.from([0xe9, 0x0a])]), error: /not valid UTF-8 text \(near byte 29\)/ },
  { name: 'non-UTF-8 token file', format: 'flickr-token', file: 'r.token', content: Buffer.from([0x31, 0x2e, 0x6a, 0x70, 0x67, 0x23, 0x30, 0x09, 0xff, 0x0a]), error: /not valid UTF-8/ },
  { name: 'path escaping the root (coco)', format: 'coco', file: 'c.json', content: JSON.stringify({ images: [{ id: 1, file_name: '../../etc/passwd' }], annotations: [] }), error: /media path "\.\.\/\.\.\/etc\/passwd" escapes the dataset root/ },
  { name: 'path escaping the root (karpathy filepath)', format: 'coco-karpathy', file: 'k.json', content: JSON.stringify({ images: [{ filepath: 'val/../..', filename: 'x.jpg', split: 'train', sentences: [] }] }), error: /escapes the dataset root/ },
  { name: 'absolute path (manifest)', format: 'manifest', file: 'm.jsonl', content: '{"path": "/etc/shadow.png", "caption": "x"}\n', error: /is absolute and not inside the dataset root \(.*\); paths must be relative to it or inside it/ },
  { name: 'escaping path with backslashes (manifest)', format: 'manifest', file: 'm.csv', content: 'path,caption\n..\\..\\x.png,hi\n', error: /escapes the dataset root/ },
  { name: 'malformed JSONL line', format: 'manifest', file: 'm.jsonl', content: '{"path": "a.jpg", "caption": "x"}\n{"path": \n', error: /m\.jsonl:2: malformed JSON line/ },
  { name: 'empty caption', format: 'coco', file: 'c.json', content: JSON.stringify({ images: [{ id: 1, file_name: 'a.jpg' }], annotations: [{ id: 1, image_id: 1, caption: '   ' }] }), error: /annotations\[0\]: empty caption/ },
  { name: 'caption of the wrong type', format: 'coco', file: 'c.json', content: JSON.stringify({ images: [{ id: 1, file_name: 'a.jpg' }], annotations: [{ id: 1, image_id: 1, caption: 42 }] }), error: /caption is not a string/ },
  { name: 'unknown split', format: 'coco-karpathy', file: 'k.json', content: JSON.stringify({ images: [{ filename: 'a.jpg', split: 'holdout', sentences: [] }] }), error: /unknown split "holdout"/ },
  { name: 'unknown modality in manifest', format: 'manifest', file: 'm.jsonl', content: '{"path": "a.mov", "caption": "x"}\n', error: /cannot tell the modality of "a\.mov"/ },
  { name: 'empty source', format: 'flickr-token', file: 'r.token', content: '', error: /nothing to import/ },
];

describe('bad input leaves the catalog exactly as it was', () => {
  for (const t of CASES) {
    it(t.name, async () => {
      const dir = tempDir();
      writeFiles(dir, { 'good.json': goodCoco, [t.file]: t.content });
      const c = tempCatalog();
      // A catalog with data already in it: a failed import must not touch it.
      await importDataset(c, 'coco', path.join(dir, 'good.json'), { name: 'existing' });
      const before = dump(c);
      const attempt = importDataset(c, t.format, path.join(dir, t.file), { name: 'new' });
      await expect(attempt).rejects.toBeInstanceOf(ImportError);
      await expect(importDataset(c, t.format, path.join(dir, t.file), { name: 'new' })).rejects.toThrow(t.error);
      expect(dump(c)).toBe(before);
    });
  }

  it('a missing source file is a clear error', async () => {
    const c = tempCatalog();
    await expect(importDataset(c, 'coco', '/nonexistent/captions.json')).rejects.toThrow(/\/nonexistent\/captions\.json does not exist/);
  });

  it('a dataset name already used with another root is refused', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'c.json': goodCoco });
    const c = tempCatalog();
    await importDataset(c, 'coco', path.join(dir, 'c.json'), { name: 'd', root: path.join(dir, 'one') });
    const before = dump(c);
    await expect(importDataset(c, 'coco', path.join(dir, 'c.json'), { name: 'd', root: path.join(dir, 'two') })).rejects.toThrow(
      /dataset "d" already exists with root .*one; use that root or another --name/,
    );
    expect(dump(c)).toBe(before);
  });

  it('a full disk rolls the whole import back with a clear error', async () => {
    const dir = tempDir();
    const images = Array.from({ length: 3000 }, (_, i) => ({ id: i, file_name: `${i}.jpg` }));
    const annotations = images.flatMap((im) => [0, 1, 2].map((k) => ({ id: im.id * 3 + k, image_id: im.id, caption: `caption ${k} of image ${im.id} `.repeat(4) })));
    writeFiles(dir, { 'good.json': goodCoco, 'big.json': JSON.stringify({ images, annotations }) });
    const c = tempCatalog();
    await importDataset(c, 'coco', path.join(dir, 'good.json'), { name: 'existing' });
    const before = dump(c);
    // SQLite reports a full disk when the file may not grow past max_page_count: the same error path as ENOSPC.
    const pages = c.db.pragma('page_count', { simple: true }) as number;
    c.db.pragma(`max_page_count = ${pages + 20}`);
    let err: unknown;
    try {
      await importDataset(c, 'coco', path.join(dir, 'big.json'), { name: 'big' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).code).toBe('DISK_FULL');
    expect((err as Error).message).toMatch(/disk holding the catalog is full .*: the last change was not saved/);
    expect(dump(c)).toBe(before);
    expect(c.integrityCheck()).toBe('ok');
  });
});
