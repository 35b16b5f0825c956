// A dataset whose "image" is a named pipe (FIFO): an ordinary open of it waits for a writer for
// ever, which once hung `embed` for good. Only regular files are read, and the check is made on the
// opened descriptor, so the pipe is reported like a missing file and everything else is embedded.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAudio, decodeImage, readMediaFile, withinTime } from '../../src-main/core/encoders/media.ts';
import { writeImage } from '../encoders/media.ts';
import { makeImageEncoder } from '../encoders/tiny-encoders.ts';
import { cliOn, tempDir } from '../helpers.ts';

const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0;
const BIN = path.resolve(import.meta.dirname, '../../bin/altmoe.js');

function fifo(file: string): string {
  const r = spawnSync('mkfifo', [file]);
  expect(r.status, String(r.stderr)).toBe(0);
  expect(fs.statSync(file).isFIFO()).toBe(true);
  return file;
}

/** Fails the test instead of hanging it when `p` does not settle in time. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms).unref())]);
}

describe.runIf(hasMkfifo)('named pipes, sockets and folders in a dataset', () => {
  it('are refused at once by every media read (embedding, thumbnails, waveforms)', async () => {
    const dir = tempDir();
    const pipe = fifo(path.join(dir, 'b.png'));
    const started = performance.now();
    await expect(within(5000, readMediaFile(pipe))).rejects.toThrow(/not a regular file/);
    await expect(within(5000, decodeImage(pipe))).rejects.toThrow(/cannot read image: it is not a regular file/);
    await expect(within(5000, decodeAudio(fifo(path.join(dir, 'c.wav')), 16000))).rejects.toThrow(/cannot read audio: it is not a regular file/);
    fs.mkdirSync(path.join(dir, 'folder.png'));
    await expect(within(5000, decodeImage(path.join(dir, 'folder.png')))).rejects.toThrow(/not a regular file/);
    expect(performance.now() - started).toBeLessThan(5000);
    // A read that never answers (a hung share) fails its item after the time limit.
    await expect(within(5000, withinTime(new Promise(() => {}), 0.05))).rejects.toThrow(/^reading the file took longer than 0\.05 s \(a hung disk or network share\?\); it was skipped$/);
  });

  it('embed through the CLI finishes, embeds the real image and reports the pipe like a missing file', async () => {
    const dir = tempDir();
    const root = path.join(dir, 'ds');
    fs.mkdirSync(root);
    await writeImage(path.join(root, 'a.png'), [200, 30, 30]);
    fifo(path.join(root, 'b.png'));
    fs.writeFileSync(path.join(dir, 'm.jsonl'), ['{"path": "a.png", "caption": "a red square"}', '{"path": "b.png", "caption": "a pipe"}'].join('\n'));
    const file = path.join(dir, 'catalog.db');
    const run = async (args: string[]) => within(30_000, cliOn(file, args));
    expect((await run(['import', 'manifest', path.join(dir, 'm.jsonl'), '--root', root])).code).toBe(0);
    expect((await run(['encoder', 'add', makeImageEncoder(path.join(dir, 'enc')), '--name', 'img'])).code).toBe(0);
    const embed = await run(['embed', '--encoder', 'img']);
    expect(embed.code, embed.err).toBe(0);
    expect(embed.out).toMatch(/done: 1 embedded, 0 already done, 1 failed/);
    expect(embed.out).toMatch(/b\.png: the file is missing, or is not a regular file/);
  });

  it('Ctrl-C stops an embedding within seconds, pipe or not; the job is recorded cancelled and resumable', async () => {
    const dir = tempDir();
    const root = path.join(dir, 'ds');
    fs.mkdirSync(root);
    const n = 60;
    for (let i = 0; i < n; i++) await writeImage(path.join(root, `${i}.png`), [i * 2, 30, 30]);
    fifo(path.join(root, 'pipe.png'));
    fs.writeFileSync(path.join(dir, 'm.jsonl'), [...Array.from({ length: n }, (_, i) => JSON.stringify({ path: `${i}.png`, caption: `square ${i}` })), '{"path": "pipe.png", "caption": "a pipe"}'].join('\n'));
    const file = path.join(dir, 'catalog.db');
    expect((await within(30_000, cliOn(file, ['import', 'manifest', path.join(dir, 'm.jsonl'), '--root', root]))).code).toBe(0);
    expect((await within(30_000, cliOn(file, ['encoder', 'add', makeImageEncoder(path.join(dir, 'enc'), { layers: 6 }), '--name', 'img']))).code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'embed', '--encoder', 'img', '--batch', '1', '--threads', '1', '--catalog', file]);
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    let sent = 0;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!sent && /embedding .*\b([1-9]\d?)%/.test(stderr)) {
        sent = performance.now();
        child.kill('SIGINT');
      }
    });
    const code = await within(60_000, exited);
    expect(sent, stderr).toBeGreaterThan(0);
    expect((performance.now() - sent) / 1000).toBeLessThan(5);
    // Cancelled is not success (exit 1), and it says how to go on.
    expect(code, stderr).toBe(1);
    const jobId = /^job ([0-9a-f-]{36})$/m.exec(stderr)![1]!;
    expect(stdout).toMatch(new RegExp(`^cancelled: \\d+ embedded.*\\nresume with: altmoe embed --resume ${jobId}\\n$`, 's'));
    const jobs = await cliOn(file, ['list', 'jobs']);
    expect(jobs.out).toMatch(new RegExp(`${jobId}\\s+embed\\s+cancelled`));
    const resumed = await within(60_000, cliOn(file, ['embed', '--resume', jobId]));
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toMatch(/1 failed/);
  }, 120_000);
});
