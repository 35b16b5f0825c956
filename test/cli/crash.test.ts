import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { tempDir, writeFiles } from '../helpers.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/altmoe.js');

/** A COCO captions file large enough that its write phase takes a while. */
function bigCoco(images: number, perImage: number): string {
  const imgs = Array.from({ length: images }, (_, i) => ({ id: i, file_name: `${String(i).padStart(12, '0')}.jpg` }));
  const anns = imgs.flatMap((im) => Array.from({ length: perImage }, (_, k) => ({ id: im.id * perImage + k, image_id: im.id, caption: `A photo number ${im.id}, caption ${k}.` })));
  return JSON.stringify({ images: imgs, annotations: anns });
}

describe('crash safety', () => {
  it('kill -9 in the middle of a large import: integrity ok, dataset absent or complete', async () => {
    const dir = tempDir();
    const cat = path.join(dir, 'cat.db');
    const images = 40_000;
    const perImage = 5;
    writeFiles(dir, { 'captions_train2017.json': bigCoco(images, perImage), 'small.json': JSON.stringify({ images: [{ id: 1, file_name: 'a.jpg' }], annotations: [{ id: 1, image_id: 1, caption: 'kept' }] }) });
    Catalog.open(cat).close();
    // An earlier import that must survive the crash.
    const first = spawn(process.execPath, [BIN, 'import', 'coco', path.join(dir, 'small.json'), '--name', 'small', '--catalog', cat]);
    await new Promise((resolve) => first.on('exit', resolve));

    const child = spawn(process.execPath, [BIN, 'import', 'coco', path.join(dir, 'captions_train2017.json'), '--name', 'big', '--no-hash', '--catalog', cat]);
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const killed = new Promise<NodeJS.Signals | null>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        // Kill once rows are being written inside the transaction, well before it commits.
        if (/write: [1-9]\d?%/.test(stderr) && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => resolve(signal));
    });
    expect(await killed).toBe('SIGKILL');
    expect(stdout).not.toMatch(/imported/);

    const c = Catalog.open(cat);
    try {
      expect(c.integrityCheck()).toBe('ok');
      expect(c.datasets.get('small')).toBeDefined();
      const big = c.datasets.get('big');
      if (big) {
        // Complete, never partial.
        expect(c.items.counts(big.id)).toEqual({ image: images, text: images * perImage });
        expect(c.pairs.counts(big.id).train).toBe(images * perImage);
      } else {
        expect(c.db.prepare('SELECT count(*) AS n FROM items').get()).toEqual({ n: 2 });
        expect(c.db.prepare('SELECT count(*) AS n FROM pairs').get()).toEqual({ n: 1 });
      }
      // The catalog still takes writes after the crash.
      c.write(() => c.datasets.upsert('after-crash', 'coco', '/r', Date.now()));
      expect(c.datasets.get('after-crash')).toBeDefined();
    } finally {
      c.close();
    }
  });
});
