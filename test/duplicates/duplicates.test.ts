// Duplicate groups: equal to a brute-force reference (every pair at or above the threshold, plus
// identical content, as connected components), "not a duplicate" marks kept across a reload, and
// the train/test straddle warning on a crafted set, through the CLI, the service and training.
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { scanDuplicates } from '../../src-main/core/duplicates/find.ts';
import { withDuplicatePolicy } from '../../src-main/core/runs/duplicate-policy.ts';
import { loadPairData } from '../../src-main/core/runs/pair-data.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { validatePayload } from '../../src-main/core/service/validate.ts';
import { mulberry32 } from '../../src-main/core/util/rng.ts';
import { catalogWithVectors, DIMS } from '../runs/fixtures.ts';
import { cliOn as cli } from '../helpers.ts';

type Cat = Awaited<ReturnType<typeof catalogWithVectors>>['c'];

const imageIds = (c: Cat): number[] => (c.db.prepare("SELECT id FROM items WHERE modality = 'image' ORDER BY id").all() as { id: number }[]).map((r) => r.id);
const encoderId = (c: Cat, name: string): number => c.encoders.get(name)!.id;

function vectorOf(c: Cat, item: number): Float32Array {
  return c.embeddings.get(encoderId(c, 'img-enc'), item)!;
}

function putVector(c: Cat, item: number, v: Float32Array): void {
  const e = c.encoders.get('img-enc')!;
  c.write(() => c.embeddings.put(e.id, item, e.file_hash, Buffer.from(v.buffer, v.byteOffset, v.byteLength), Date.now()));
}

/**
 * Plants duplicates among the 300 image items (240 train, 30 val, 30 test, in id order):
 * near copies of train items in test, a cluster of 24 copies (more than the finder's first 16
 * neighbours), and two items with the same content hash but different vectors.
 */
function plant(c: Cat): { ids: number[] } {
  const ids = imageIds(c);
  const rand = mulberry32(9);
  const jitter = (v: Float32Array, s: number): Float32Array => v.map((x) => x + s * (rand() - 0.5));
  // Test items 270.. copy train items 0..4 (tiny noise): these straddle.
  for (let k = 0; k < 5; k++) putVector(c, ids[270 + k]!, jitter(vectorOf(c, ids[k]!), 1e-3));
  // 24 train items 10..33 all copies of item 10.
  const base = vectorOf(c, ids[10]!);
  for (let k = 11; k < 34; k++) putVector(c, ids[k]!, jitter(base, 2e-3));
  // Same bytes (content hash) for a train and a val item whose vectors differ.
  c.db.prepare("UPDATE items SET content_hash = 'same' WHERE id IN (?, ?)").run(ids[50]!, ids[245]!);
  return { ids };
}

/** The reference: connected components of "cosine >= t or same hash", by brute force. */
function bruteGroups(c: Cat, t: number): number[][] {
  const ids = imageIds(c);
  const unit = ids.map((id) => {
    const v = vectorOf(c, id);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
  const hash = new Map((c.db.prepare("SELECT id, content_hash FROM items WHERE modality = 'image'").all() as { id: number; content_hash: string | null }[]).map((r) => [r.id, r.content_hash]));
  const adj = ids.map(() => [] as number[]);
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      let s = 0;
      for (let d = 0; d < DIMS.image; d++) s += unit[i]![d]! * unit[j]![d]!;
      const same = hash.get(ids[i]!) !== null && hash.get(ids[i]!) === hash.get(ids[j]!);
      if (s >= t || same) {
        adj[i]!.push(j);
        adj[j]!.push(i);
      }
    }
  }
  const seen = new Set<number>();
  const groups: number[][] = [];
  for (let i = 0; i < ids.length; i++) {
    if (seen.has(i) || adj[i]!.length === 0) continue;
    const stack = [i];
    const g: number[] = [];
    seen.add(i);
    while (stack.length) {
      const x = stack.pop()!;
      g.push(ids[x]!);
      for (const y of adj[x]!) {
        if (seen.has(y)) continue;
        seen.add(y);
        stack.push(y);
      }
    }
    groups.push(g.sort((a, b) => a - b));
  }
  return groups;
}

const canon = (groups: number[][]): string[] => groups.map((g) => [...g].sort((a, b) => a - b).join(',')).sort();

describe('duplicates', () => {
  it('groups equal the brute-force reference at several thresholds (graph search included)', async () => {
    const { c } = await catalogWithVectors();
    plant(c);
    for (const t of [0.999, 0.99, 0.95]) {
      const found = (await scanDuplicates(c, { encoder: 'img-enc', threshold: t })).groups.map((g) => g.members);
      expect(canon(found)).toEqual(canon(bruteGroups(c, t)));
    }
    // The planted 24-copy cluster is found whole.
    const big = (await scanDuplicates(c, { encoder: 'img-enc', threshold: 0.999 })).groups[0]!;
    expect(big.members.length).toBeGreaterThanOrEqual(24);
    // Exact-only finds just the shared content hash.
    const exact = (await scanDuplicates(c, { modality: 'image', exactOnly: true })).groups;
    expect(exact.map((g) => [g.exact, g.members.length])).toEqual([[true, 2]]);
  });

  it('remembers "not a duplicate" marks across a reload, through the CLI', async () => {
    const { c } = await catalogWithVectors();
    const { ids } = plant(c);
    const file = c.file;
    const before = (await scanDuplicates(c, { encoder: 'img-enc', threshold: 0.999 })).groups;
    const pair = before.find((g) => g.members.includes(ids[270]!))!;
    expect(pair.members.sort()).toEqual([ids[0]!, ids[270]!].sort());
    c.close();
    const marked = await cli(file, ['duplicates', 'not', String(ids[270]), String(ids[0])]);
    expect(marked).toMatchObject({ code: 0, out: '1 mark(s) added\n' });
    const again = await cli(file, ['duplicates', 'not', String(ids[0]), String(ids[270])]);
    expect(again.out).toBe('0 mark(s) added\n');
    const reopened = Catalog.open(file);
    try {
      const after = (await scanDuplicates(reopened, { encoder: 'img-enc', threshold: 0.999 })).groups;
      expect(after.some((g) => g.members.includes(ids[270]!))).toBe(false);
      expect(after.length).toBe(before.length - 1);
    } finally {
      reopened.close();
    }
    expect((await cli(file, ['duplicates', 'undo', String(ids[270]), String(ids[0])])).out).toBe('1 mark(s) removed\n');
    const bad = await cli(file, ['duplicates', 'not', String(ids[0]), '99999999']);
    expect(bad).toMatchObject({ code: 1, err: 'altmoe: error: no item 99999999\n' });
  });

  it('flags groups that straddle train and test, in the CLI, the API and training', async () => {
    const { c } = await catalogWithVectors();
    plant(c);
    const file = c.file;
    // With no options: every modality, each by its encoder with most vectors, at the default threshold.
    const defaults = await cli(file, ['duplicates']);
    expect(defaults.code).toBe(0);
    expect(defaults.out).toMatch(/^image: 300 vectors of img-enc at cosine >= 0\.969\ntext: 1,500 vectors of txt-enc at cosine >= 0\.969\n\d+ duplicate group\(s\)/);
    const listed = await cli(file, ['duplicates', '--encoder', 'img-enc', '--threshold', '0.999']);
    expect(listed.code).toBe(0);
    // The five test copies of train items, and the train/val pair sharing content.
    expect(listed.out).toMatch(/(\d+) duplicate group\(s\), \d+ redundant item\(s\); 6 group\(s\) straddle train and val\/test/);
    expect(listed.out).toMatch(/^\d+ ! +exact +\d+/m);
    const service = new EngineService(c, { version: 't', mode: 'server', runsDir: `${file}.runs` });
    try {
      const r = await service.handle('duplicates:find', validatePayload('duplicates:find', { encoder: 'img-enc', threshold: 0.999, limit: 3 }));
      expect(r.groups.length).toBe(3);
      expect(r.total).toBeGreaterThan(3);
      expect(r.straddling).toBe(6);
      expect(r.groups[0]!.members[0]!.itemId).toBe(r.groups[0]!.representative);
      await expect(service.handle('duplicates:find', validatePayload('duplicates:find', { encoder: 'nope' }))).rejects.toThrow('no encoder named "nope"');
      expect(() => validatePayload('duplicates:find', { threshold: 1.5 })).toThrow('the threshold must be a cosine similarity above 0 and at most 1');
    } finally {
      await service.close();
    }
    // Training with the defaults warns; with --duplicates drop the training copies are left out.
    const trainArgs = ['train', '--pairs', 'image:text', '--preset', 'laptop', '--steps', '20', '--eval-every', '10', '--batch', '32', '--threads', '1'];
    const warned = await cli(file, trainArgs);
    expect(warned.code).toBe(0);
    expect(warned.err).toMatch(/warning: \d+ duplicate group\(s\) of image-text straddle train and held-out splits .*held-out recall may be inflated/);
    const evaluated = await cli(file, ['eval', '1', '--split', 'test']);
    expect(evaluated.out + evaluated.err).toMatch(/straddle train and held-out splits/);
    const dropped = await cli(file, [...trainArgs, '--duplicates', 'drop']);
    expect(dropped.err).toMatch(/their training copies were left out of training/);
    // What drop and merge do to the splits: the straddling training copies leave train, and merge
    // puts them (with their captions) into the held-out split of their group.
    const loaded = loadPairData(c, { a: 'image', b: 'text', encoders: {} });
    const media = (s: 'train' | 'val' | 'test', d = loaded): number[] => Array.from(d.splits[s].ids!);
    const warn = await withDuplicatePolicy(c, loaded, 'warn');
    // At the default threshold (lower than the 0.999 above) at least the planted groups straddle.
    expect(warn.duplicates!.policy).toBe('warn');
    expect(warn.duplicates!.groups).toBeGreaterThanOrEqual(6);
    expect(warn.duplicates!.heldOut.test).toBeGreaterThanOrEqual(5);
    expect(media('train', warn)).toEqual(media('train'));
    const drop = await withDuplicatePolicy(c, loaded, 'drop');
    const gone = media('train').filter((id) => !media('train', drop).includes(id));
    expect(gone.length).toBe(warn.duplicates!.trainItems);
    expect(media('test', drop)).toEqual(media('test'));
    expect(drop.splits.train.owner.length).toBe(loaded.splits.train.owner.length - 5 * gone.length);
    const merge = await withDuplicatePolicy(c, loaded, 'merge');
    expect(new Set([...media('test', merge), ...media('val', merge)])).toEqual(new Set([...media('test'), ...media('val'), ...gone]));
    expect(merge.splits.test.owner.length + merge.splits.val.owner.length).toBe(loaded.splits.test.owner.length + loaded.splits.val.owner.length + 5 * gone.length);
    const bad = await cli(file, [...trainArgs, '--duplicates', 'keep']);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.err).toMatch(/the duplicates policy must be one of warn, drop, merge/);
  }, 120_000);
});
