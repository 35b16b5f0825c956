import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { dump, tempCatalog, tempDir, writeFiles } from '../helpers.ts';

const coco = {
  images: [
    { id: 1, file_name: '000000000001.jpg' },
    { id: 2, file_name: '000000000002.jpg' },
  ],
  annotations: [
    { id: 10, image_id: 1, caption: 'A cat on a mat.' },
    { id: 11, image_id: 1, caption: 'A small cat.' },
    { id: 12, image_id: 2, caption: 'A dog in the park.' },
  ],
};

function captionsOf(c: ReturnType<typeof tempCatalog>, dataset: string): Record<string, string[]> {
  const rows = c.db
    .prepare(
      `SELECT a.key AS media, b.text AS text, p.split AS split FROM pairs p JOIN items a ON a.id = p.a_item_id JOIN items b ON b.id = p.b_item_id
       JOIN datasets d ON d.id = p.dataset_id WHERE d.name = ? ORDER BY a.key, b.key`,
    )
    .all(dataset) as { media: string; text: string; split: string | null }[];
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[`${r.media} [${r.split ?? '-'}]`] ??= []).push(r.text);
  return out;
}

describe('importers', () => {
  it('coco: images, captions, pairs, split from the file name, root guessed from the layout', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'annotations/captions_val2017.json': JSON.stringify(coco), 'val2017/000000000001.jpg': 'jpegbytes' });
    const c = tempCatalog();
    const r = await importDataset(c, 'coco', path.join(dir, 'annotations/captions_val2017.json'), { name: 'coco' });
    expect(r.root).toBe(path.join(dir, 'val2017'));
    expect(r.items).toEqual({ image: { added: 2, updated: 0, unchanged: 0 }, text: { added: 3, updated: 0, unchanged: 0 } });
    expect(r.pairs).toEqual({ added: 3, updated: 0, unchanged: 0 });
    expect(r.missing).toEqual({ count: 1, examples: ['000000000002.jpg'] });
    expect(captionsOf(c, 'coco')).toEqual({
      '000000000001.jpg [val]': ['A cat on a mat.', 'A small cat.'],
      '000000000002.jpg [val]': ['A dog in the park.'],
    });
    const img = c.items.get(c.datasets.get('coco')!.id, 'image', '000000000001.jpg')!;
    expect(img.content_hash).toBe(createHash('sha256').update('jpegbytes').digest('hex'));
    const caption = c.items.get(c.datasets.get('coco')!.id, 'text', 'ann:10')!;
    expect(caption.content_hash).toBe(createHash('sha256').update('A cat on a mat.').digest('hex'));
    expect(JSON.parse(img.meta)).toEqual({ coco_id: 1 });
  });

  it('is idempotent: importing the same files again changes nothing at all', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'captions_train2017.json': JSON.stringify(coco), 'img/000000000001.jpg': 'x' });
    const c = tempCatalog();
    const file = path.join(dir, 'captions_train2017.json');
    await importDataset(c, 'coco', file, { root: path.join(dir, 'img') });
    const before = dump(c);
    const again = await importDataset(c, 'coco', file, { root: path.join(dir, 'img') });
    expect(again.items.image).toEqual({ added: 0, updated: 0, unchanged: 2 });
    expect(again.items.text).toEqual({ added: 0, updated: 0, unchanged: 3 });
    expect(again.pairs).toEqual({ added: 0, updated: 0, unchanged: 3 });
    expect(dump(c)).toBe(before);
  });

  it('a changed caption on re-import updates that item only', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'captions_train2017.json');
    writeFiles(dir, { 'captions_train2017.json': JSON.stringify(coco) });
    const c = tempCatalog();
    await importDataset(c, 'coco', file);
    const changed = structuredClone(coco);
    changed.annotations[2]!.caption = 'A dog running in the park.';
    writeFiles(dir, { 'captions_train2017.json': JSON.stringify(changed) });
    const r = await importDataset(c, 'coco', file);
    expect(r.items.text).toEqual({ added: 0, updated: 1, unchanged: 2 });
    expect(captionsOf(c, 'captions_train2017')['000000000002.jpg [train]']).toEqual(['A dog running in the park.']);
  });

  it('coco-karpathy: filepath/filename, restval counts as train, sentids as keys', async () => {
    const dir = tempDir();
    const doc = {
      dataset: 'coco',
      images: [
        { filepath: 'val2014', filename: 'COCO_val2014_1.jpg', split: 'test', cocoid: 1, sentences: [{ raw: 'A man riding a horse.', sentid: 5 }, { raw: 'A horse rider.', sentid: 6 }] },
        { filepath: 'val2014', filename: 'COCO_val2014_2.jpg', split: 'restval', cocoid: 2, sentences: [{ raw: 'Two birds.', sentid: 7 }] },
        { filepath: 'train2014', filename: 'COCO_train2014_3.jpg', split: 'val', cocoid: 3, sentences: [{ raw: 'A red bus.', sentid: 8 }] },
      ],
    };
    writeFiles(dir, { 'dataset_coco.json': JSON.stringify(doc) });
    const c = tempCatalog();
    await importDataset(c, 'coco-karpathy', path.join(dir, 'dataset_coco.json'), { name: 'k' });
    expect(captionsOf(c, 'k')).toEqual({
      'train2014/COCO_train2014_3.jpg [val]': ['A red bus.'],
      'val2014/COCO_val2014_1.jpg [test]': ['A man riding a horse.', 'A horse rider.'],
      'val2014/COCO_val2014_2.jpg [train]': ['Two birds.'],
    });
    expect(c.items.get(c.datasets.get('k')!.id, 'text', 'sent:7')?.text).toBe('Two birds.');
  });

  it('flickr-karpathy: filename only, root guessed as flickr30k-images', async () => {
    const dir = tempDir();
    const doc = { dataset: 'flickr30k', images: [{ filename: '100.jpg', split: 'train', sentences: [{ raw: 'A dog.', sentid: 0 }] }] };
    writeFiles(dir, { 'dataset_flickr30k.json': JSON.stringify(doc), 'flickr30k-images/100.jpg': 'x' });
    const c = tempCatalog();
    const r = await importDataset(c, 'flickr-karpathy', path.join(dir, 'dataset_flickr30k.json'));
    expect(r.root).toBe(path.join(dir, 'flickr30k-images'));
    expect(r.missing.count).toBe(0);
    expect(captionsOf(c, 'dataset_flickr30k')).toEqual({ '100.jpg [train]': ['A dog.'] });
  });

  it('flickr-token: name.jpg#k<TAB>caption lines, CRLF and blank lines tolerated, split from --split', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'results_20130124.token': '1000.jpg#0\tTwo young guys .\r\n1000.jpg#1\tTwo men outside .\r\n\r\n2000.jpg#0\tA child .\n' });
    const c = tempCatalog();
    await importDataset(c, 'flickr-token', path.join(dir, 'results_20130124.token'), { name: 'f', split: 'test' });
    expect(captionsOf(c, 'f')).toEqual({ '1000.jpg [test]': ['Two young guys .', 'Two men outside .'], '2000.jpg [test]': ['A child .'] });
  });

  it('flickr-csv: pipe-separated with header; quotes are text; the known broken row is repaired', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'results.csv': 'image_name| comment_number| comment\n1000.jpg| 0| A man says "hi" .\n1000.jpg| 1| Another caption .\n2199200615.jpg| 4   A dog runs across the grass .\n',
    });
    const c = tempCatalog();
    const r = await importDataset(c, 'flickr-csv', path.join(dir, 'results.csv'), { name: 'f' });
    expect(captionsOf(c, 'f')).toEqual({
      '1000.jpg [-]': ['A man says "hi" .', 'Another caption .'],
      '2199200615.jpg [-]': ['A dog runs across the grass .'],
    });
    expect(r.warnings.join('\n')).toMatch(/repaired a row/);
  });

  it('clotho: file_name,caption_1..5 with quoted commas; split from the file name', async () => {
    const dir = tempDir();
    const csv = 'file_name,caption_1,caption_2,caption_3,caption_4,caption_5\n' +
      '"rain, heavy.wav","Rain falls, hard.",b2,b3,b4,b5\nbirds.wav,c1,c2,c3,c4,c5\n';
    writeFiles(dir, { 'clotho_captions_evaluation.csv': csv, 'evaluation/birds.wav': 'RIFF' });
    const c = tempCatalog();
    const r = await importDataset(c, 'clotho', path.join(dir, 'clotho_captions_evaluation.csv'), { name: 'clotho' });
    expect(r.root).toBe(path.join(dir, 'evaluation'));
    expect(r.items.audio?.added).toBe(2);
    expect(r.items.text?.added).toBe(10);
    expect(captionsOf(c, 'clotho')['rain, heavy.wav [test]']).toEqual(['Rain falls, hard.', 'b2', 'b3', 'b4', 'b5']);
    expect(r.missing).toEqual({ count: 1, examples: ['rain, heavy.wav'] });
  });

  it('audiocaps: several captions per clip, clip files found whatever the download naming', async () => {
    const dir = tempDir();
    const csv = 'audiocap_id,youtube_id,start_time,caption\n1,abc,30,A dog barks\n2,abc,30,Barking dog\n3,xyz,0,Wind blows\n';
    writeFiles(dir, { 'test.csv': csv, 'audio/Yxyz.wav': 'RIFF', 'audio/abc_30.flac': 'fLaC' });
    const c = tempCatalog();
    const r = await importDataset(c, 'audiocaps', path.join(dir, 'test.csv'), { name: 'ac' });
    expect(r.root).toBe(path.join(dir, 'audio'));
    expect(r.missing.count).toBe(0);
    expect(captionsOf(c, 'ac')).toEqual({ 'Yxyz.wav [test]': ['Wind blows'], 'abc_30.flac [test]': ['A dog barks', 'Barking dog'] });
  });

  it('folder: media with sidecar captions, split from train/val/test folders, orphans reported', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'train/cat.jpg': 'x',
      'train/cat.txt': 'a cat\n\nanother cat\n',
      'test/beep.wav': 'RIFF',
      'test/beep.txt': 'a beep',
      'misc/lonely.png': 'x',
      'notes.txt': 'not a caption',
      '.hidden/x.jpg': 'x',
    });
    const c = tempCatalog();
    const r = await importDataset(c, 'folder', dir, { name: 'mine' });
    expect(r.items.image?.added).toBe(2);
    expect(r.items.audio?.added).toBe(1);
    expect(captionsOf(c, 'mine')).toEqual({ 'test/beep.wav [test]': ['a beep'], 'train/cat.jpg [train]': ['a cat', 'another cat'] });
    expect(r.warnings.join()).toMatch(/1 \.txt file\(s\) without a matching media file, e.g. notes.txt/);
  });

  it('manifest: JSON Lines with caption / captions / split / modality', async () => {
    const dir = tempDir();
    const lines = [
      { path: 'a.jpg', caption: 'first', split: 'train' },
      { path: 'a.jpg', caption: 'second', split: 'train' },
      { path: 's.bin', modality: 'audio', captions: ['a sound', 'a noise'], split: 'val' },
    ].map((l) => JSON.stringify(l));
    writeFiles(dir, { 'm.jsonl': lines.join('\n') + '\n' });
    const c = tempCatalog();
    await importDataset(c, 'manifest', path.join(dir, 'm.jsonl'), { name: 'm' });
    expect(captionsOf(c, 'm')).toEqual({ 'a.jpg [train]': ['first', 'second'], 's.bin [val]': ['a sound', 'a noise'] });
  });

  it('manifest: an absolute path inside the root is taken relative to it; one outside is refused', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'media/x/a.png': 'png', 'm.jsonl': [JSON.stringify({ path: path.join(dir, 'media', 'x', 'a.png'), caption: 'inside' }), JSON.stringify({ path: 'x/b.png', caption: 'relative' })].join('\n') });
    const c = tempCatalog();
    await importDataset(c, 'manifest', path.join(dir, 'm.jsonl'), { name: 'm', root: path.join(dir, 'media') });
    expect(captionsOf(c, 'm')).toEqual({ 'x/a.png [-]': ['inside'], 'x/b.png [-]': ['relative'] });
    // A sibling folder whose name starts like the root's is not inside it.
    writeFiles(dir, { 'n.jsonl': JSON.stringify({ path: path.join(dir, 'media2', 'a.png'), caption: 'outside' }) });
    await expect(importDataset(c, 'manifest', path.join(dir, 'n.jsonl'), { name: 'n', root: path.join(dir, 'media') })).rejects.toThrow(/is absolute and not inside the dataset root/);
  });

  it('manifest: CSV with a header', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'm.csv': 'path,caption,split\nx/a.png,"a, b",test\nx/b.mp3,a song,\n' });
    const c = tempCatalog();
    await importDataset(c, 'manifest', path.join(dir, 'm.csv'), { name: 'm' });
    expect(captionsOf(c, 'm')).toEqual({ 'x/a.png [test]': ['a, b'], 'x/b.mp3 [-]': ['a song'] });
  });

  it('strict mode refuses missing media and leaves the catalog unchanged', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'captions_val2017.json': JSON.stringify(coco) });
    const c = tempCatalog();
    const before = dump(c);
    await expect(importDataset(c, 'coco', path.join(dir, 'captions_val2017.json'), { strict: true })).rejects.toThrow(
      /2 media file\(s\) missing under .* \(strict mode\), e.g. 000000000001.jpg, 000000000002.jpg/,
    );
    expect(dump(c)).toBe(before);
  });

  it('two imports into one dataset merge (COCO train + val), each with its split', async () => {
    const dir = tempDir();
    const val = { images: [{ id: 3, file_name: '000000000003.jpg' }], annotations: [{ id: 20, image_id: 3, caption: 'A bus.' }] };
    writeFiles(dir, { 'captions_train2017.json': JSON.stringify(coco), 'captions_val2017.json': JSON.stringify(val) });
    const c = tempCatalog();
    await importDataset(c, 'coco', path.join(dir, 'captions_train2017.json'), { name: 'coco', root: dir });
    await importDataset(c, 'coco', path.join(dir, 'captions_val2017.json'), { name: 'coco', root: dir });
    expect(c.pairs.counts(c.datasets.get('coco')!.id)).toEqual({ train: 3, val: 1, test: 0, unassigned: 0 });
  });
});
