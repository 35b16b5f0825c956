// Search by text, image file and audio file: queries are encoded by the catalog's encoders, then
// ranked exactly like stored vectors.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainConnector } from '../../src-main/core/runs/run.ts';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { runEmbedJob } from '../../src-main/core/encoders/embed-job.ts';
import { addEncoder } from '../../src-main/core/encoders/registry.ts';
import { SearchEngine } from '../../src-main/core/search/engine.ts';
import { keywordMatches } from '../../src-main/core/search/keywords.ts';
import { SMALL } from '../runs/fixtures.ts';
import { writeImage, writeWav } from '../encoders/media.ts';
import { makeAudioEncoder, makeImageEncoder, makeTextEncoder } from '../encoders/tiny-encoders.ts';
import { sharedGlove } from '../shared-fixtures.ts';
import { tempCatalog, tempDir, writeFiles } from '../helpers.ts';

const COLORS: Record<string, [number, number, number]> = { red: [220, 30, 30], green: [30, 200, 30], blue: [30, 30, 220], white: [245, 245, 245] };
const THINGS = ['ball', 'car', 'tree', 'bird', 'cat', 'dog'];

async function catalogWithMedia() {
  const d = tempDir();
  const c = tempCatalog(d);
  const media = path.join(d, 'media');
  let n = 0;
  for (const [color, rgb] of Object.entries(COLORS)) {
    for (const thing of THINGS) {
      const shade = rgb.map((v) => Math.max(0, Math.min(255, v + ((n * 37) % 40) - 20))) as [number, number, number];
      await writeImage(path.join(media, `${color}-${thing}.png`), shade, [24 + (n % 5), 24]);
      writeFiles(media, { [`${color}-${thing}.txt`]: `a ${color} ${thing}\nthe ${thing} is ${color}` });
      n++;
    }
  }
  writeWav(path.join(media, 'low.wav'), 0.6, { freq: 220 });
  writeWav(path.join(media, 'high.wav'), 0.6, { freq: 1760 });
  await importDataset(c, 'folder', media, { name: 'colors' });
  await addEncoder(c, makeTextEncoder(path.join(d, 'enc/txt')), { name: 'txt' });
  await addEncoder(c, makeImageEncoder(path.join(d, 'enc/img')), { name: 'img' });
  await addEncoder(c, makeAudioEncoder(path.join(d, 'enc/aud')), { name: 'aud' });
  for (const encoder of ['txt', 'img', 'aud']) await runEmbedJob(c, { encoder });
  return { d, c, media };
}

describe('search by text, image and audio', () => {
  it('a query equal to a stored item finds that item first, with the same ranking as the item itself', async () => {
    const { c, media } = await catalogWithMedia();
    const engine = new SearchEngine(c);
    try {
      // The vectors alone (hybrid: false): a text query ranks as the stored caption's vector does.
      const byText = await engine.search({ query: { text: 'the dog is blue' }, to: ['text'], k: 5, hybrid: false });
      expect(byText[0]).toMatchObject({ text: 'the dog is blue', modality: 'text', via: 'same space (txt)' });
      expect(byText[0]!.score).toBeCloseTo(1, 5);
      const item = byText[0]!.itemId;
      const more = await engine.searchByItem({ item, to: ['text'], k: 4 });
      expect(more.map((h) => h.itemId)).toEqual(byText.slice(1).map((h) => h.itemId));

      const byImage = await engine.search({ query: { image: path.join(media, 'green-car.png') }, to: ['image'], k: 3 });
      expect(byImage[0]).toMatchObject({ key: 'green-car.png', modality: 'image' });
      expect(byImage[0]!.score).toBeCloseTo(1, 5);

      const byAudio = await engine.search({ query: { audio: path.join(media, 'high.wav') }, to: ['audio'], k: 2 });
      expect(byAudio.map((h) => h.key)).toEqual(['high.wav', 'low.wav']);
      expect(byAudio[0]!.score).toBeCloseTo(1, 5);
    } finally {
      await engine.close();
    }
  });

  it('crosses modalities through a trained connector exactly as the stored caption would', async () => {
    const { d, c } = await catalogWithMedia();
    const s = await trainConnector(c, { pairs: [['image', 'text']], runsDir: path.join(d, 'runs'), overrides: { ...SMALL, dim: 16, steps: 60, evalEvery: 30, batchSize: 16 }, threads: 1 });
    const engine = new SearchEngine(c);
    try {
      // The vectors alone (hybrid: false): the query maps as the stored caption does.
      const hits = await engine.search({ query: { text: 'a red ball' }, to: ['image'], k: 6, hybrid: false });
      expect(hits).toHaveLength(6);
      expect(hits.every((h) => h.modality === 'image' && h.via === `text->image (run ${s.runId})`)).toBe(true);
      const caption = c.db.prepare<[], { id: number }>("SELECT id FROM items WHERE text = 'a red ball'").get()!;
      const same = await engine.searchByItem({ item: caption.id, to: ['image'], k: 6 });
      expect(hits.map((h) => h.itemId)).toEqual(same.map((h) => h.itemId));
      hits.forEach((h, i) => expect(h.score).toBeCloseTo(same[i]!.score, 5));
      // Filters: a split no pair has leaves nothing; the dataset filter keeps everything here.
      expect(await engine.search({ query: { text: 'a red ball' }, to: ['image'], splits: ['test'] })).toEqual([]);
      expect((await engine.search({ query: { text: 'a red ball' }, to: ['image'], k: 6, datasets: ['colors'], hybrid: false })).map((h) => h.itemId)).toEqual(hits.map((h) => h.itemId));
      // By default its words count too: the images whose captions say "red ball" come first.
      const worded = await engine.search({ query: { text: 'a red ball' }, to: ['image'], k: 6 });
      expect(worded[0]).toMatchObject({ key: 'red-ball.png', keyword: true });
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('bad queries give clear errors', async () => {
    const { c, media } = await catalogWithMedia();
    const engine = new SearchEngine(c);
    try {
      await expect(engine.search({ query: { text: '   ' }, to: ['text'] })).rejects.toThrow(/the query text is empty/);
      await expect(engine.search({ query: { image: path.join(media, 'nope.png') }, to: ['image'] })).rejects.toThrow(/cannot use this query: cannot read image: .*no such file/);
      await expect(engine.search({ query: { image: path.join(media, 'red-car.txt') }, to: ['image'] })).rejects.toThrow(/cannot decode image/);
      await expect(engine.search({ query: { audio: path.join(media, 'red-car.png') }, to: ['audio'] })).rejects.toThrow(/cannot decode audio/);
      await expect(engine.search({ query: { text: 'a red car' }, to: ['image'] })).rejects.toThrow(/no trained connector for text -> image/);
      await expect(engine.search({ query: { text: 'a red car' }, to: ['text'], encoder: 'img' })).rejects.toThrow(/no text encoder named "img"/);
      c.write(() => c.db.prepare("DELETE FROM encoders WHERE name = 'aud'").run());
      await expect(engine.search({ query: { audio: path.join(media, 'low.wav') }, to: ['audio'] })).rejects.toThrow(/no audio encoder that can encode a query/);
    } finally {
      await engine.close();
    }
  });
  it('a text query counts its exact words: keyword matches are fused in by rank, each hit keeps its cosine', async () => {
    const d = tempDir();
    const c = tempCatalog(d);
    const captions = ['a red cat', 'the cat is red', 'a blue dog', 'a piggybank on a shelf', 'red things', 'a cat and a dog'];
    writeFiles(d, { 'm.jsonl': captions.map((t, i) => JSON.stringify({ path: `shelf/${i}-${i === 2 ? 'blue_dog' : 'item'}.png`, caption: t, split: i < 4 ? 'train' : 'test' })).join('\n') });
    await importDataset(c, 'manifest', path.join(d, 'm.jsonl'), { name: 'm', hashMedia: false });
    await addEncoder(c, makeTextEncoder(path.join(d, 'enc/txt')), { name: 'txt' });
    await runEmbedJob(c, { encoder: 'txt' });
    const engine = new SearchEngine(c);
    try {
      // The tiny encoder ranks "red things" above the one caption with the word; the words put it first.
      const semantic = await engine.search({ query: { text: 'piggybank' }, to: ['text'], k: 3, hybrid: false });
      expect(semantic[0]!.text).toBe('red things');
      expect(semantic.some((h) => h.keyword)).toBe(false);
      const hybrid = await engine.search({ query: { text: 'piggybank' }, to: ['text'], k: 3 });
      expect(hybrid[0]).toMatchObject({ text: 'a piggybank on a shelf', keyword: true });
      expect(hybrid.slice(1).some((h) => h.keyword)).toBe(false);
      // Every hit keeps its cosine in the same space (equal to the semantic search's).
      const cosine = new Map((await engine.search({ query: { text: 'piggybank' }, to: ['text'], k: 50, hybrid: false })).map((h) => [h.itemId, h.score]));
      for (const h of hybrid) expect(h.score).toBeCloseTo(cosine.get(h.itemId)!, 5);
      // Filters hold for keyword matches: the piggybank caption is in train, not test.
      expect((await engine.search({ query: { text: 'piggybank' }, to: ['text'], k: 3, splits: ['test'] })).some((h) => h.text === 'a piggybank on a shelf')).toBe(false);
      // Media match by their file name and through their captions.
      const key = (id: number) => c.items.getById(id)!.key;
      expect(keywordMatches(c, { text: 'piggybank', modality: 'image', limit: 5 }).map(key)).toEqual(['shelf/3-item.png']);
      expect(keywordMatches(c, { text: 'blue_dog', modality: 'image', limit: 5 }).map(key)[0]).toBe('shelf/2-blue_dog.png');
      expect(keywordMatches(c, { text: 'OR "NEAR(', modality: 'text', limit: 5 })).toEqual([]);
      // A folder's name is in every file's path: it matches only media without a caption, unless asked.
      expect(keywordMatches(c, { text: 'shelf', modality: 'image', limit: 10 }).map(key)).toEqual(['shelf/3-item.png']);
      expect(keywordMatches(c, { text: 'shelf', modality: 'image', limit: 10, paths: true }).length).toBe(6);
      // Stop words say nothing of why an item matched: "a" alone would match five captions.
      expect(keywordMatches(c, { text: 'a piggybank', modality: 'text', limit: 10 }).map((id) => c.items.getById(id)!.text)).toEqual(['a piggybank on a shelf']);
      // The fused list is ordered by the relevance each hit carries, and says which words matched.
      const fused = await engine.search({ query: { text: 'a red cat' }, to: ['text'], k: 6 });
      expect(fused.map((h) => h.relevance!)).toEqual([...fused.map((h) => h.relevance!)].sort((x, y) => y - x));
      expect(fused.find((h) => h.text === 'the cat is red')?.matched).toEqual(['red', 'cat']);
      expect(fused.find((h) => h.text === 'a blue dog')?.matched).toBeUndefined();
    } finally {
      await engine.close();
    }
  });

  it('copies of one file are one hit, the others listed as its copies (unless every copy is asked for)', async () => {
    const d = tempDir();
    const c = tempCatalog(d);
    const media = path.join(d, 'media');
    await writeImage(path.join(media, 'red.png'), [220, 30, 30], [24, 24]);
    for (const copy of ['tree-a.png', 'sub/tree-b.png', 'sub/tree-c.png']) await writeImage(path.join(media, copy), [30, 180, 40], [24, 24]);
    await writeImage(path.join(media, 'blue.png'), [30, 30, 220], [24, 24]);
    await importDataset(c, 'folder', media, { name: 'copies' });
    await addEncoder(c, makeImageEncoder(path.join(d, 'enc/img')), { name: 'img' });
    await runEmbedJob(c, { encoder: 'img' });
    const engine = new SearchEngine(c);
    try {
      const red = c.items.get(c.datasets.get('copies')!.id, 'image', 'red.png')!.id;
      const grouped = await engine.search({ query: { item: red }, to: ['image'], k: 5 });
      // The three trees (equal vectors) are one hit, whichever ranks first; its copies are the other two.
      expect(grouped).toHaveLength(2);
      const tree = grouped.find((h) => h.key.includes('tree'))!;
      expect([tree.key, ...tree.copies!.map((x) => x.key)].sort()).toEqual(['sub/tree-b.png', 'sub/tree-c.png', 'tree-a.png']);
      expect(grouped.find((h) => !h.key.includes('tree'))!.key).toBe('blue.png');
      const all = await engine.search({ query: { item: red }, to: ['image'], k: 5, group: false });
      expect(all).toHaveLength(4);
      expect(all.some((h) => h.copies)).toBe(false);
    } finally {
      await engine.close();
    }
  });

  it('a text of words the encoder does not know answers with its keyword matches, or says why it cannot', async () => {
    const d = tempDir();
    const c = tempCatalog(d);
    const captions = ['the zqxvort gadget', 'a dog on a boat', 'a red cat'];
    writeFiles(d, { 'm.jsonl': captions.map((t, i) => JSON.stringify({ path: `p/${i}.png`, caption: t })).join('\n') });
    await importDataset(c, 'manifest', path.join(d, 'm.jsonl'), { name: 'm', hashMedia: false });
    // GloVe (the run's shared folder) maps words outside its vocabulary to a zero row.
    await addEncoder(c, await sharedGlove(), { name: 'glove' });
    await runEmbedJob(c, { encoder: 'glove' });
    const engine = new SearchEngine(c);
    try {
      const hits = await engine.search({ query: { text: 'zqxvort' }, to: ['text'], k: 5 });
      expect(hits).toEqual([expect.objectContaining({ text: 'the zqxvort gadget', keyword: true, score: 0, via: 'its words (the encoder knows none of them)' })]);
      // No keyword match, or keywords off: the encoder's reason, as before.
      await expect(engine.search({ query: { text: 'qqzvx' }, to: ['text'], k: 5 })).rejects.toThrow(/cannot use this query: the model gave an all-zero vector/);
      await expect(engine.search({ query: { text: 'zqxvort' }, to: ['text'], k: 5, hybrid: false })).rejects.toThrow(/all-zero vector/);
    } finally {
      await engine.close();
    }
  });
});
