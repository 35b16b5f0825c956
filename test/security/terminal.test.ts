// File names and captions are a dataset's, not ours: escape sequences in them (colours, a window
// title) reach the terminal as visible U+FFFD marks through every CLI output path.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src-main/core/cli/render.ts';
import { makeImageEncoder } from '../encoders/tiny-encoders.ts';
import { cliOn, tempDir } from '../helpers.ts';

const RED = '\x1b[31m';
const TITLE = '\x1b]0;owned\x07';

describe('dataset strings on a terminal', () => {
  it('import and embed print hostile file names and captions inert', async () => {
    const dir = tempDir();
    const root = path.join(dir, 'ds');
    fs.mkdirSync(root);
    const broken = `bad${RED}name${TITLE}.png`;
    fs.writeFileSync(path.join(root, broken), 'not an image');
    const lines = [
      { path: broken, caption: `a caption${TITLE}` },
      { path: `gone${RED}.png`, caption: 'a missing file' },
    ];
    fs.writeFileSync(path.join(dir, 'm.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    const file = path.join(dir, 'catalog.db');
    const imported = await cliOn(file, ['import', 'manifest', path.join(dir, 'm.jsonl'), '--root', root]);
    expect(imported.code, imported.err).toBe(0);
    expect(imported.out).toMatch(/missing media: 1 file\(s\) .*gone\ufffd\[31m\.png/);
    expect((await cliOn(file, ['encoder', 'add', makeImageEncoder(path.join(dir, 'enc')), '--name', 'img'])).code).toBe(0);
    const embedded = await cliOn(file, ['embed', '--encoder', 'img']);
    expect(embedded.out).toMatch(/bad\ufffd\[31mname\ufffd\]0;owned\ufffd\.png: cannot decode image/);
    for (const r of [imported, embedded, await cliOn(file, ['list', 'datasets'])]) {
      expect(r.out + r.err).not.toMatch(/[\x07\x1b]/);
    }
  });

  it('keeps line breaks and tabs, and the progress line\'s own redraw only at the start of a write', () => {
    expect(terminalSafe('a\tb\nc\r\n')).toBe('a\tb\nc\r\n');
    expect(terminalSafe('\r\x1b[2Kembedding: 10%')).toBe('\r\x1b[2Kembedding: 10%');
    expect(terminalSafe(`x\r\x1b[2K${RED}`)).toBe('x\r\ufffd[2K\ufffd[31m');
  });
});
