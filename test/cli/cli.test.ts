import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { tempDir, writeFiles, writeNpy } from '../helpers.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/altmoe.js');

function altmoe(args: string[], catalog: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--catalog', catalog], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('altmoe CLI', () => {
  it('init, import, stats, list: the whole path through the real binary', () => {
    const dir = tempDir();
    const cat = path.join(dir, 'cat.db');
    writeFiles(dir, {
      'annotations/captions_val2017.json': JSON.stringify({
        images: [{ id: 1, file_name: 'a.jpg' }, { id: 2, file_name: 'b.jpg' }],
        annotations: [{ id: 1, image_id: 1, caption: 'a cat' }, { id: 2, image_id: 2, caption: 'a dog' }],
      }),
      'val2017/a.jpg': 'x',
      'ids.txt': 'a.jpg\nb.jpg\n',
    });
    writeNpy(path.join(dir, 'v.npy'), '<f4', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));

    const init = altmoe(['init'], cat);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`catalog ready: ${cat}`);

    const imp = altmoe(['import', 'coco', path.join(dir, 'annotations/captions_val2017.json'), '--name', 'coco'], cat);
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/image: 2 added, 0 updated, 0 unchanged/);
    expect(imp.stdout).toMatch(/missing media: 1 file\(s\) not found under .*val2017, e\.g\. b\.jpg/);
    expect(imp.stderr).toMatch(/write: 100% \(6\/6/);

    const vec = altmoe(['import', 'npy', path.join(dir, 'v.npy'), '--ids', path.join(dir, 'ids.txt'), '--dataset', 'coco', '--encoder', 'dino'], cat);
    // The job id comes first, then the progress.
    expect(vec.stderr).toMatch(/^job [0-9a-f-]{36}\nwrite vectors: 100% \(2\/2, [\d.]+s\)\n$/);
    expect(vec.code).toBe(0);
    expect(vec.stdout).toMatch(/vectors: 2 x 3 for encoder "dino"/);

    const stats = altmoe(['stats', '--json'], cat);
    expect(stats.code).toBe(0);
    const s = JSON.parse(stats.stdout);
    expect(s.datasets[0]).toMatchObject({ name: 'coco', items: { image: 2, text: 2 }, pairs: { val: 2 } });
    expect(s.datasets[0].embeddings).toEqual([{ encoder: 'dino', modality: 'image', dim: 3, count: 2, of: 2 }]);

    const list = altmoe(['list'], cat);
    expect(list.stdout.split('\n')[1]).toMatch(/^coco\s+coco\s+2\s+2\s+0\s+2\s+/);
    expect(altmoe(['list', 'encoders'], cat).stdout).toMatch(/dino\s+image\s+3\s+2\s+external:dino/);
  });

  it('fails with a non-zero exit and one line of reason', () => {
    const dir = tempDir();
    const cat = path.join(dir, 'cat.db');
    writeFiles(dir, { 'bad.json': '{"images": [' });
    altmoe(['init'], cat);
    const bad = altmoe(['import', 'coco', path.join(dir, 'bad.json')], cat);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n').at(-1)).toMatch(/^altmoe: error: .*bad\.json: malformed or truncated JSON/);
    expect(bad.stdout).toBe('');

    const usage = altmoe(['import', 'mp4', 'x'], cat);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^altmoe: unknown format "mp4" \(one of: coco, .*\) \(see "altmoe --help"\)\n$/);

    const npy = altmoe(['import', 'npy', 'x.npy'], cat);
    expect(npy.code).toBe(2);
    expect(npy.stderr).toMatch(/import npy needs --ids/);

    const formats = altmoe(['list', 'formats'], path.join(dir, 'missing.db'));
    expect(formats.code).toBe(0);
    expect(formats.stdout).toMatch(/^clotho\s+Clotho v2 captions CSV/m);

    const stats = altmoe(['stats'], path.join(dir, 'missing.db'));
    expect(stats.code).toBe(1);
    expect(stats.stderr).toMatch(/^altmoe: error: no catalog at .*missing\.db \(run "altmoe init" first\)\n$/);
  });

  it('refuses a catalog from a newer version', () => {
    const dir = tempDir();
    const cat = path.join(dir, 'cat.db');
    Catalog.open(cat).close();
    const c = Catalog.open(cat);
    c.db.pragma('user_version = 999');
    c.close();
    const r = altmoe(['stats'], cat);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/written by a newer version of AltMoE Studio \(schema 999/);
    expect(fs.existsSync(cat)).toBe(true);
  });
});
