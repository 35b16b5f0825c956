// Jobs as the truth after a crash: kill -9 a training run, start the service again: the job and its
// run say 'interrupted', jobs:resume finishes the run, and Debian's own sqlite3 finds the catalog ok
// (the NULL-safe json checks of migration 3).
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src-shared/api.ts';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { catalogWithVectors } from '../runs/fixtures.ts';
import { makeTextEncoder } from '../encoders/tiny-encoders.ts';
import { cliOn, tempDir, writeFiles } from '../helpers.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/altmoe.js');
const hasSqlite3 = spawnSync('sqlite3', ['-version']).status === 0;

describe('crash and restart', () => {
  it('kill -9 during training: the job and run become interrupted, resume completes, sqlite3 says ok', async () => {
    const { c } = await catalogWithVectors();
    const file = c.file;
    c.close();
    const child = spawn(process.execPath, [BIN, 'train', '--pairs', 'image:text', '--preset', 'laptop', '--steps', '150', '--eval-every', '50', '--batch', '32', '--threads', '1', '--catalog', file]);
    let stderr = '';
    const killed = new Promise<NodeJS.Signals | null>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/^val image-text @/m.test(stderr) && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => resolve(signal));
    });
    expect(await killed).toBe('SIGKILL');
    // The job id came first.
    const jobId = /^job ([0-9a-f-]{36})$/m.exec(stderr)![1]!;

    const again = Catalog.open(file, { create: false });
    const service = new EngineService(again, { version: 't', mode: 'server', threads: 1 });
    try {
      const jobs = await service.handle('jobs:list', undefined);
      expect(jobs.find((j) => j.jobId === jobId)).toMatchObject({ kind: 'train', status: 'interrupted', runId: 1 });
      expect(again.runs.get(1)!.status).toBe('interrupted');
      if (hasSqlite3) expect(spawnSync('sqlite3', [file, 'PRAGMA integrity_check'], { encoding: 'utf8' }).stdout.trim()).toBe('ok');
      expect((await cliOn(file, ['list', 'jobs'])).out).toContain('altmoe train --resume 1');

      const updates: JobInfo[] = [];
      service.on((event, payload) => event === 'job:update' && updates.push(payload as JobInfo));
      const resumed = (await service.handle('jobs:resume', { jobId })).jobId;
      const until = Date.now() + 120_000;
      while (!['done', 'failed', 'cancelled'].includes(updates.filter((u) => u.jobId === resumed).at(-1)?.status ?? '') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(updates.filter((u) => u.jobId === resumed).at(-1)).toMatchObject({ status: 'done' });
      expect(again.runs.get(1)!.status).toBe('done');
      // A done job is not resumed again, and the old interrupted job no longer suggests resuming its finished run.
      await expect(service.handle('jobs:resume', { jobId: resumed })).rejects.toThrow(/is done/);
      expect((await cliOn(file, ['list', 'jobs'])).out).not.toContain('--resume');
    } finally {
      await service.close();
      again.close();
    }
    if (hasSqlite3) expect(spawnSync('sqlite3', [file, 'PRAGMA integrity_check'], { encoding: 'utf8' }).stdout.trim()).toBe('ok');
  }, 180_000);

  it('kill -9 during embedding: the job becomes interrupted, jobs:resume embeds the rest under the same id', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'cat.db');
    const images = 600;
    const coco = { images: Array.from({ length: images }, (_, i) => ({ id: i, file_name: `${i}.jpg` })), annotations: Array.from({ length: images * 4 }, (_, k) => ({ id: k, image_id: k % images, caption: `caption number ${k} of a photo` })) };
    writeFiles(dir, { 'captions_train2017.json': JSON.stringify(coco) });
    const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--catalog', file], { encoding: 'utf8' });
    expect(run(['import', 'coco', path.join(dir, 'captions_train2017.json'), '--no-hash']).status).toBe(0);
    expect(run(['encoder', 'add', makeTextEncoder(path.join(dir, 'txt')), '--name', 'txt']).status).toBe(0);
    const child = spawn(process.execPath, [BIN, 'embed', '--encoder', 'txt', '--batch', '1', '--threads', '1', '--catalog', file]);
    let stderr = '';
    const killed = new Promise<NodeJS.Signals | null>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/embedding .*\b([1-9]\d?)%/.test(stderr) && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => resolve(signal));
    });
    expect(await killed).toBe('SIGKILL');
    const jobId = /^job ([0-9a-f-]{36})$/m.exec(stderr)![1]!;

    const c = Catalog.open(file, { create: false });
    const service = new EngineService(c, { version: 't', mode: 'server', threads: 1 });
    try {
      expect((await service.handle('jobs:list', undefined)).find((j) => j.jobId === jobId)).toMatchObject({ kind: 'embed', status: 'interrupted' });
      const before = c.embeddings.count(c.encoders.get('txt')!.id);
      expect(before).toBeLessThan(images * 4);
      if (hasSqlite3) expect(spawnSync('sqlite3', [file, 'PRAGMA integrity_check'], { encoding: 'utf8' }).stdout.trim()).toBe('ok');
      const updates: JobInfo[] = [];
      service.on((event, payload) => event === 'job:update' && updates.push(payload as JobInfo));
      expect((await service.handle('jobs:resume', { jobId })).jobId).toBe(jobId);
      const until = Date.now() + 120_000;
      while (!['done', 'failed', 'cancelled'].includes(updates.filter((u) => u.jobId === jobId).at(-1)?.status ?? '') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(updates.filter((u) => u.jobId === jobId).at(-1)).toMatchObject({ status: 'done', result: { skipped: before } });
      expect(c.embeddings.count(c.encoders.get('txt')!.id)).toBe(images * 4);
    } finally {
      await service.close();
      c.close();
    }
  }, 180_000);
});
