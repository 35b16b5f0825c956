// One bad entry in a folder never fails the import: a loop of symbolic links is skipped with its
// reason, in the CLI, the library and the API's preview alike (a 500 and a raw ELOOP before).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineService } from '../../src-main/core/service/service.ts';
import { writeImage } from '../encoders/media.ts';
import { cliOn, tempCatalog, tempDir } from '../helpers.ts';

async function folderWithLoop(): Promise<string> {
  const root = path.join(tempDir(), 'ds');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  await writeImage(path.join(root, 'red.png'), [220, 20, 20]);
  fs.writeFileSync(path.join(root, 'red.txt'), 'a red square');
  fs.symlinkSync('loop1', path.join(root, 'loop2'));
  fs.symlinkSync('loop2', path.join(root, 'loop1'));
  fs.symlinkSync('../sub/self', path.join(root, 'sub', 'self'));
  return root;
}

describe('folder walks survive any single entry', () => {
  it('the CLI imports the rest and names what it skipped and why', async () => {
    const root = await folderWithLoop();
    const r = await cliOn(path.join(path.dirname(root), 'catalog.db'), ['import', 'folder', root]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/image: 1 added/);
    expect(r.out).toMatch(/warning: 3 entries could not be read and were skipped, e\.g\. loop1 \(a loop of symbolic links\), loop2 \(a loop of symbolic links\), sub\/self \(a loop of symbolic links\)/);
    expect(r.out + r.err).not.toMatch(/ELOOP/);
    // A loop as the source itself: one line with the same words, nothing imported.
    const loop = await cliOn(path.join(path.dirname(root), 'other.db'), ['import', 'folder', path.join(root, 'loop1')]);
    expect(loop.code).toBe(1);
    expect(loop.err).toBe(`altmoe: error: a loop of symbolic links: ${path.join(root, 'loop1')}\n`);
  });

  it('the API previews the folder with the same warning instead of failing', async () => {
    const root = await folderWithLoop();
    const service = new EngineService(tempCatalog(), { version: 't', mode: 'server', threads: 1 });
    try {
      const preview = await service.handle('import:preview', { format: 'folder', source: root });
      expect(preview.media).toEqual({ image: 1 });
      expect(preview.warnings).toEqual([expect.stringMatching(/^3 entries could not be read and were skipped/)]);
    } finally {
      await service.close();
    }
  });
});
