import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { importVectors } from '../../src-main/core/datasets/vectors.ts';
import { dump, tempCatalog, tempDir, writeFiles, writeNpy } from '../helpers.ts';

const coco = JSON.stringify({
  images: [
    { id: 1, file_name: 'a.jpg' },
    { id: 2, file_name: 'b.jpg' },
    { id: 3, file_name: 'c.jpg' },
  ],
  annotations: [
    { id: 1, image_id: 1, caption: 'one' },
    { id: 2, image_id: 2, caption: 'two' },
    { id: 3, image_id: 3, caption: 'three' },
  ],
});

async function setup(): Promise<{ dir: string; c: ReturnType<typeof tempCatalog> }> {
  const dir = tempDir();
  writeFiles(dir, { 'c.json': coco, 'ids.txt': 'a.jpg\nb.jpg\nc.jpg\n' });
  const c = tempCatalog();
  await importDataset(c, 'coco', path.join(dir, 'c.json'), { name: 'coco' });
  return { dir, c };
}

function ramp(rows: number, cols: number, scale = 1): Float32Array {
  return Float32Array.from({ length: rows * cols }, (_, i) => (i - 3.5) * scale);
}

describe('precomputed vectors (.npy)', () => {
  it('attaches float32 rows to the items named by the id list, under a new encoder', async () => {
    const { dir, c } = await setup();
    const data = ramp(3, 4, 0.25);
    writeNpy(path.join(dir, 'v.npy'), '<f4', [3, 4], data);
    const r = importVectors(c, path.join(dir, 'v.npy'), { dataset: 'coco', encoder: 'dino', ids: path.join(dir, 'ids.txt') });
    expect(r.vectors).toEqual({ encoder: 'dino', count: 3, dim: 4, added: 3, replaced: 0, unchanged: 0 });
    const enc = c.encoders.get('dino')!;
    expect(enc).toMatchObject({ modality: 'image', dim: 4, file_hash: 'external:dino' });
    const ds = c.datasets.get('coco')!.id;
    const b = c.items.get(ds, 'image', 'b.jpg')!;
    expect(Array.from(c.embeddings.get(enc.id, b.id)!)).toEqual(Array.from(data.subarray(4, 8)));
    expect(c.stats().datasets[0]!.embeddings).toEqual([{ encoder: 'dino', modality: 'image', dim: 4, count: 3, of: 3 }]);
  });

  it('converts float16 exactly and accepts a JSON id list of text items', async () => {
    const { dir, c } = await setup();
    // 1.0, -2.0, 0.5, 65504 (max half), smallest subnormal 2^-24, -0
    const halves = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000]);
    writeNpy(path.join(dir, 'v.npy'), '<f2', [3, 2], halves);
    fs.writeFileSync(path.join(dir, 'ids.json'), JSON.stringify(['ann:1', 'ann:2', 'ann:3']));
    importVectors(c, path.join(dir, 'v.npy'), { dataset: 'coco', encoder: 'txt', ids: path.join(dir, 'ids.json') });
    const enc = c.encoders.get('txt')!;
    expect(enc.modality).toBe('text');
    const ds = c.datasets.get('coco')!.id;
    const get = (key: string): number[] => Array.from(c.embeddings.get(enc.id, c.items.get(ds, 'text', key)!.id)!);
    expect(get('ann:1')).toEqual([1, -2]);
    expect(get('ann:2')).toEqual([0.5, 65504]);
    expect(get('ann:3')).toEqual([2 ** -24, -0]);
  });

  it('re-importing the same vectors leaves them unchanged, changed ones are replaced in place; a new model hash needs --replace and makes old ones stale', async () => {
    const { dir, c } = await setup();
    writeNpy(path.join(dir, 'v.npy'), '<f4', [3, 4], ramp(3, 4));
    const ids = path.join(dir, 'ids.txt');
    importVectors(c, path.join(dir, 'v.npy'), { dataset: 'coco', encoder: 'dino', ids, encoderHash: 'sha-1' });
    const rows = dump(c);
    const again = importVectors(c, path.join(dir, 'v.npy'), { dataset: 'coco', encoder: 'dino', ids, encoderHash: 'sha-1' });
    expect(again.vectors).toMatchObject({ added: 0, replaced: 0, unchanged: 3 });
    // Only the import record is new: no vector row was rewritten.
    expect(dump(c).replace(/"imports":\[.*?\],"items"/, '')).toBe(rows.replace(/"imports":\[.*?\],"items"/, ''));
    const changed = ramp(3, 4);
    changed[0] = 42;
    writeNpy(path.join(dir, 'v.npy'), '<f4', [3, 4], changed);
    expect(importVectors(c, path.join(dir, 'v.npy'), { dataset: 'coco', encoder: 'dino', ids, encoderHash: 'sha-1' }).vectors).toMatchObject({ added: 0, replaced: 1, unchanged: 2 });
    expect(c.embeddings.count(c.encoders.get('dino')!.id)).toBe(3);

    writeNpy(path.join(dir, 'w.npy'), '<f4', [2, 8], ramp(2, 8));
    fs.writeFileSync(path.join(dir, 'ids2.txt'), 'a.jpg\nb.jpg\n');
    const before = dump(c);
    expect(() => importVectors(c, path.join(dir, 'w.npy'), { dataset: 'coco', encoder: 'dino', ids: path.join(dir, 'ids2.txt'), encoderHash: 'sha-2' })).toThrow(
      /already holds vectors of another model .* --replace/,
    );
    expect(dump(c)).toBe(before);
    importVectors(c, path.join(dir, 'w.npy'), { dataset: 'coco', encoder: 'dino', ids: path.join(dir, 'ids2.txt'), encoderHash: 'sha-2', replace: true });
    const enc = c.encoders.get('dino')!;
    expect(enc).toMatchObject({ dim: 8, file_hash: 'sha-2' });
    // c.jpg's vector came from the old model: it is gone, and the others are the new model's.
    const ds = c.datasets.get('coco')!.id;
    expect(c.embeddings.get(enc.id, c.items.get(ds, 'image', 'c.jpg')!.id)).toBeUndefined();
    expect(c.embeddings.get(enc.id, c.items.get(ds, 'image', 'a.jpg')!.id)!.length).toBe(8);
    expect(c.embeddings.count(enc.id)).toBe(2);
    expect(c.db.prepare('SELECT DISTINCT encoder_hash AS h FROM embeddings').all()).toEqual([{ h: 'sha-2' }]);
  });

  it('never serves a vector whose hash is not the encoder\'s current one', async () => {
    const { dir, c } = await setup();
    writeNpy(path.join(dir, 'v.npy'), '<f4', [3, 4], ramp(3, 4));
    importVectors(c, path.join(dir, 'v.npy'), { dataset: 'coco', encoder: 'dino', ids: path.join(dir, 'ids.txt'), encoderHash: 'sha-1' });
    const enc = c.encoders.get('dino')!;
    const item = c.items.get(c.datasets.get('coco')!.id, 'image', 'a.jpg')!.id;
    expect(c.embeddings.get(enc.id, item)).toBeDefined();
    // A row written under another hash (e.g. by an interrupted job of an older version) is ignored.
    c.db.prepare("UPDATE embeddings SET encoder_hash = 'sha-old' WHERE item_id = ?").run(item);
    expect(c.embeddings.get(enc.id, item)).toBeUndefined();
  });

  const BAD: { name: string; make: (dir: string) => void; error: RegExp }[] = [
    { name: 'float64 dtype', make: (d) => writeNpy(path.join(d, 'v.npy'), '<f8', [3, 2], new Float64Array(6)), error: /dtype <f8 is not supported; save the vectors as little-endian float32 or float16/ },
    { name: 'int32 dtype', make: (d) => writeNpy(path.join(d, 'v.npy'), '<i4', [3, 2], new Int32Array(6)), error: /dtype <i4 is not supported/ },
    { name: 'big-endian float32', make: (d) => writeNpy(path.join(d, 'v.npy'), '>f4', [3, 2], new Float32Array(6)), error: /dtype >f4 is not supported/ },
    { name: '1-D array', make: (d) => writeNpy(path.join(d, 'v.npy'), '<f4', [3], new Float32Array(3)), error: /expected a 2-D array \[N, d\], got shape \(3,\)/ },
    { name: '3-D array', make: (d) => writeNpy(path.join(d, 'v.npy'), '<f4', [3, 2, 2], new Float32Array(12)), error: /expected a 2-D array/ },
    { name: 'truncated data', make: (d) => writeNpy(path.join(d, 'v.npy'), '<f4', [3, 4], new Float32Array(11)), error: /does not match shape 3 x 4 float32 .* truncated or damaged/ },
    { name: 'not a .npy file', make: (d) => fs.writeFileSync(path.join(d, 'v.npy'), 'hello world, not numpy'), error: /not a \.npy file \(bad magic bytes\)/ },
    { name: 'NaN', make: (d) => writeNpy(path.join(d, 'v.npy'), '<f4', [3, 2], Float32Array.from([0, 1, 2, NaN, 4, 5])), error: /row 1 \(column 1\) is NaN; vectors must be finite/ },
    { name: 'Infinity', make: (d) => writeNpy(path.join(d, 'v.npy'), '<f4', [3, 2], Float32Array.from([0, 1, 2, 3, -Infinity, 5])), error: /row 2 \(column 0\) is -Infinity/ },
    { name: 'float16 infinity', make: (d) => writeNpy(path.join(d, 'v.npy'), '<f2', [3, 1], Uint16Array.from([0x3c00, 0x7c00, 0])), error: /row 1 \(column 0\) is Infinity/ },
    { name: 'id list too short', make: (d) => { writeNpy(path.join(d, 'v.npy'), '<f4', [3, 2], new Float32Array(6)); fs.writeFileSync(path.join(d, 'ids.txt'), 'a.jpg\nb.jpg\n'); }, error: /lists 2 ids but .*v\.npy has 3 rows/ },
    { name: 'duplicate ids', make: (d) => { writeNpy(path.join(d, 'v.npy'), '<f4', [3, 2], new Float32Array(6)); fs.writeFileSync(path.join(d, 'ids.txt'), 'a.jpg\nb.jpg\na.jpg\n'); }, error: /duplicate id "a\.jpg" \(entry 3\)/ },
    { name: 'unknown ids', make: (d) => { writeNpy(path.join(d, 'v.npy'), '<f4', [3, 2], new Float32Array(6)); fs.writeFileSync(path.join(d, 'ids.txt'), 'a.jpg\nzzz.jpg\nc.jpg\n'); }, error: /1 of 3 ids are not image items of dataset "coco", e\.g\. zzz\.jpg/ },
    { name: 'non-UTF-8 id list', make: (d) => { writeNpy(path.join(d, 'v.npy'), '<f4', [3, 2], new Float32Array(6)); fs.writeFileSync(path.join(d, 'ids.txt'), Buffer.from([0x61, 0xff, 0x0a])); }, error: /ids\.txt: not valid UTF-8 text \(near byte 1\)/ },
  ];

  for (const t of BAD) {
    it(`refuses ${t.name} and leaves the catalog unchanged`, async () => {
      const { dir, c } = await setup();
      writeNpy(path.join(dir, 'good.npy'), '<f4', [3, 2], ramp(3, 2));
      importVectors(c, path.join(dir, 'good.npy'), { dataset: 'coco', encoder: 'dino', ids: path.join(dir, 'ids.txt') });
      t.make(dir);
      const before = dump(c);
      expect(() => importVectors(c, path.join(dir, 'v.npy'), { dataset: 'coco', encoder: 'other', ids: path.join(dir, 'ids.txt') })).toThrow(t.error);
      expect(dump(c)).toBe(before);
    });
  }

  it('refuses a dim that differs from the encoder it extends', async () => {
    const { dir, c } = await setup();
    writeNpy(path.join(dir, 'a.npy'), '<f4', [3, 2], ramp(3, 2));
    writeNpy(path.join(dir, 'b.npy'), '<f4', [3, 5], ramp(3, 5));
    importVectors(c, path.join(dir, 'a.npy'), { dataset: 'coco', encoder: 'dino', ids: path.join(dir, 'ids.txt') });
    expect(() => importVectors(c, path.join(dir, 'b.npy'), { dataset: 'coco', encoder: 'dino', ids: path.join(dir, 'ids.txt') })).toThrow(
      /encoder "dino" has dim 2, but .*b\.npy has 5 columns/,
    );
  });

  it('refuses an unknown dataset', async () => {
    const { dir, c } = await setup();
    writeNpy(path.join(dir, 'a.npy'), '<f4', [3, 2], ramp(3, 2));
    expect(() => importVectors(c, path.join(dir, 'a.npy'), { dataset: 'nope', encoder: 'x', ids: path.join(dir, 'ids.txt') })).toThrow(/no dataset named "nope"/);
  });
});

describe('the vector change counter', () => {
  it('grows when vectors are written, replaced or made stale, and not on reads', async () => {
    const { dir, c } = await setup();
    const g0 = c.embeddings.generation();
    writeNpy(path.join(dir, 'v.npy'), '<f4', [3, 2], ramp(3, 2));
    importVectors(c, path.join(dir, 'v.npy'), { dataset: 'coco', encoder: 'dino', ids: path.join(dir, 'ids.txt') });
    const g1 = c.embeddings.generation();
    expect(g1).toBe(g0 + 3);
    c.stats();
    expect(c.embeddings.generation()).toBe(g1);
    c.db.prepare("UPDATE embeddings SET encoder_hash = 'x' WHERE rowid = (SELECT min(rowid) FROM embeddings)").run();
    expect(c.embeddings.generation()).toBe(g1 + 1);
  });
});
