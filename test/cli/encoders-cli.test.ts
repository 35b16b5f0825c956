import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeImage } from '../encoders/media.ts';
import { makeImageEncoder, makeTextEncoder } from '../encoders/tiny-encoders.ts';
import { cliOn, tempDir, writeFiles } from '../helpers.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/altmoe.js');

/** The real binary: its exit code and what it writes to stdout and stderr. */
function altmoe(args: string[], catalog: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--catalog', catalog], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same command in this process (each start of the binary costs seconds on a busy machine). */
async function inProcess(args: string[], catalog: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await cliOn(catalog, args);
  return { code: r.code, stdout: r.out, stderr: r.err };
}

describe('altmoe encoder / embed / search as a user runs them', () => {
  it('adds encoders, embeds a dataset with per-item errors, and searches by text and image', async () => {
    const d = tempDir();
    const cat = path.join(d, 'cat.db');
    await writeImage(path.join(d, 'media/red.png'), [220, 20, 20]);
    await writeImage(path.join(d, 'media/blue.png'), [20, 20, 220]);
    writeFiles(path.join(d, 'media'), { 'red.txt': 'a red ball', 'blue.txt': 'a blue car', 'bad.png': 'no', 'bad.txt': 'a bird' });
    expect(altmoe(['import', 'folder', path.join(d, 'media'), '--name', 'm'], cat).code).toBe(0);

    const add = altmoe(['encoder', 'add', makeTextEncoder(path.join(d, 'txt')), '--name', 'txt'], cat);
    expect(add.stdout).toMatch(/^encoder "txt" added: text, 16 dims, last_hidden_state pooled by mean, sha256:[0-9a-f]{32}\n$/);
    expect((await inProcess(['encoder', 'add', makeImageEncoder(path.join(d, 'img'))], cat)).stdout).toMatch(/encoder "img" added: image, 12 dims/);
    const again = await inProcess(['encoder', 'add', path.join(d, 'txt'), '--name', 'txt'], cat);
    expect(again.stdout).toMatch(/already registered \(unchanged\)/);

    const embed = altmoe(['embed', '--encoder', 'img', '--batch', '2'], cat);
    expect(embed.code).toBe(0);
    expect(embed.stdout).toMatch(/^done: 2 embedded, 0 already done, 1 failed in [\d.]+s on cpu \(job [0-9a-f-]{36}\)\n {2}item \d+ bad\.png: cannot decode image/);
    expect(embed.stderr).toMatch(/embedding .*100% \(3\/3/);
    const json = JSON.parse((await inProcess(['embed', '--encoder', 'txt', '--json'], cat)).stdout) as { embedded: number; failed: number };
    expect(json).toMatchObject({ embedded: 3, failed: 0 });

    const text = await inProcess(['search', 'a blue car', '--to', 'text', '-k', '1', '--json'], cat);
    expect(text.code).toBe(0);
    expect(JSON.parse(text.stdout)).toEqual([expect.objectContaining({ text: 'a blue car', via: 'same space (txt)' })]);
    // With no options, as a user first types it: every modality that can answer does; audio (no
    // encoder here) says why on stderr, and the command succeeds.
    const plain = await inProcess(['search', 'a blue car'], cat);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^rank score +cosine +words/);
    expect(plain.stdout).toMatch(/text .* a blue car/);
    expect(plain.stderr).toMatch(/^note: audio cannot be searched from this query yet: no audio encoder/m);
    // Asked only for what cannot answer: an error, with the reason.
    expect(await inProcess(['search', 'a blue car', '--to', 'audio'], cat)).toMatchObject({ code: 1, stderr: expect.stringMatching(/^altmoe: error: no audio encoder/) });
    const image = await inProcess(['search', '--image', path.join(d, 'media/red.png'), '--to', 'image', '-k', '1'], cat);
    expect(image.stdout).toMatch(/1\.000 +image .* red\.png/);

    expect(altmoe(['search', 'a', 'b'], cat)).toMatchObject({ code: 2, stderr: expect.stringMatching(/put the query text in quotes/) });
    expect(await inProcess(['search', 'x', '--image', 'y.png'], cat)).toMatchObject({ code: 2, stderr: expect.stringMatching(/exactly one query/) });
    expect(await inProcess(['embed', '--encoder', 'nope'], cat)).toMatchObject({ code: 1, stderr: expect.stringMatching(/^altmoe: error: no encoder named "nope" \(encoders: img, txt\)\n$/) });
    expect(await inProcess(['encoder', 'add', path.join(d, 'media')], cat)).toMatchObject({ code: 1, stderr: expect.stringMatching(/no \.onnx file/) });
    expect(await inProcess(['encoder', 'add', path.join(d, 'txt'), '--pooling', 'max'], cat)).toMatchObject({ code: 2, stderr: expect.stringMatching(/--pooling must be one of cls, mean, mean-last-two, none/) });
  }, 60_000);
});
