// A full disk, as a user meets it: embedding stops saying how many vectors it kept (each batch is
// one transaction) and how to go on, those vectors are there, and resuming finishes the job; the
// read-only commands still answer on a full disk; a checkpoint that cannot be written leaves no
// temporary file and keeps the previous one. A real full disk where this machine can mount a
// tmpfs, SQLite's page limit (the same SQLITE_FULL path) and a simulated ENOSPC otherwise.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { CatalogError } from '../../src-main/core/catalog/errors.ts';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { resumeEmbedJob, runEmbedJob } from '../../src-main/core/encoders/embed-job.ts';
import { addEncoder } from '../../src-main/core/encoders/registry.ts';
import { DiskFullError } from '../../src-main/core/util/errors.ts';
import { readSafetensors, writeSafetensors } from '../../src-main/core/util/safetensors.ts';
import { makeTextEncoder } from '../encoders/tiny-encoders.ts';
import { cliOn, tempCatalog, tempDir, writeFiles } from '../helpers.ts';

const STORED = /the disk holding the catalog is full \(.*\): (\d+) vector\(s\) of this job were stored before it filled, the batch being written was not; free some space and continue with `altmoe embed --resume ([0-9a-f-]{36})`/;

/** Captions only (the images are never read): enough to need many batches. */
function captions(dir: string, n: number): string {
  const coco = { images: Array.from({ length: n }, (_, i) => ({ id: i, file_name: `${i}.jpg` })), annotations: Array.from({ length: n }, (_, k) => ({ id: k, image_id: k, caption: `a red dog number ${k} runs on the grass` })) };
  writeFiles(dir, { 'captions_train2017.json': JSON.stringify(coco) });
  return path.join(dir, 'captions_train2017.json');
}

/** A tmpfs of `size` on a fresh folder, or null where this machine may not mount one. */
function tmpfs(size: string): { dir: string; release: () => void } | null {
  const dir = tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return { dir, release: () => execFileSync('umount', ['-l', dir], { stdio: 'ignore' }) };
}

describe('a full disk', () => {
  it('embedding stops with how many vectors it stored, those are kept, and resuming finishes the job (SQLite page limit)', async () => {
    const dir = tempDir();
    const c = tempCatalog(dir);
    await importDataset(c, 'coco', captions(dir, 600), { name: 'caps', hashMedia: false });
    // 1 KB vectors: 600 of them need about ten of the catalog's 64 KB pages; it may grow by three.
    await addEncoder(c, makeTextEncoder(path.join(dir, 'txt'), { dim: 256 }), { name: 'txt' });
    const pages = c.db.pragma('page_count', { simple: true }) as number;
    c.db.pragma(`max_page_count = ${pages + 3}`);
    const err = await runEmbedJob(c, { encoder: 'txt', batchSize: 16 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CatalogError);
    const [, stored, jobId] = STORED.exec((err as Error).message) ?? [];
    expect(Number(stored)).toBeGreaterThan(0);
    expect(Number(stored)).toBeLessThan(600);
    const enc = c.encoders.get('txt')!;
    expect(c.embeddings.count(enc.id)).toBe(Number(stored));
    c.db.pragma('max_page_count = 1073741823');
    const report = await resumeEmbedJob(c, jobId!);
    expect(report.embedded).toBe(600 - Number(stored));
    expect(c.embeddings.count(enc.id)).toBe(600);
    expect(c.integrityCheck()).toBe('ok');
  });

  it('a checkpoint that hits ENOSPC leaves no temporary file and keeps the previous one', () => {
    const dir = tempDir();
    const file = path.join(dir, 'run', 'checkpoint.safetensors');
    writeSafetensors(file, { w: { shape: [2], data: Float32Array.from([1, 2]) } });
    // The temporary file it writes is Linux's /dev/full: every write there fails with ENOSPC.
    const tmp = `${file}.tmp-${process.pid}`;
    const write = () => writeSafetensors(file, { w: { shape: [2], data: Float32Array.from([3, 4]) } });
    fs.symlinkSync('/dev/full', tmp);
    expect(write).toThrow(DiskFullError);
    fs.symlinkSync('/dev/full', tmp);
    expect(write).toThrow(/^the disk holding .*run is full: checkpoint\.safetensors was not written \(its previous version is kept\); free some space and try again$/);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['checkpoint.safetensors']);
    expect([...(readSafetensors(file).tensors.w!.data as Float32Array)]).toEqual([1, 2]);
  });

  it('on a real full disk (tmpfs) the read-only commands answer, embed says what it kept, and the resume completes', async (ctx) => {
    const disk = tmpfs('16m');
    // Mounting needs root in a machine that allows it; the tests above cover the same paths otherwise.
    if (!disk) return ctx.skip();
    const { dir, release } = disk;
    try {
      const file = path.join(dir, 'c.db');
      const outside = tempDir();
      // In process (the CLI's own entry point, as `altmoe` runs it), which saves a Node start per command.
      const run = async (args: string[]) => {
        const r = await cliOn(file, args);
        return { status: r.code, stdout: r.out, stderr: r.err };
      };
      const c = Catalog.open(file);
      try {
        await importDataset(c, 'coco', captions(outside, 400), { name: 'caps', hashMedia: false });
        await addEncoder(c, makeTextEncoder(path.join(outside, 'txt'), { dim: 256 }), { name: 'txt' });
      } finally {
        c.close();
      }
      // Fill the disk to the last block: the catalog can no longer even make its -shm file.
      const fill = path.join(dir, 'fill');
      const fillUp = () => spawnSync('dd', ['if=/dev/zero', `of=${fill}`, 'bs=4k', 'oflag=append', 'conv=notrunc'], { stdio: 'ignore' });
      fillUp();
      for (const args of [['list', 'jobs'], ['stats']]) {
        const r = await run(args);
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      }
      const none = await run(['embed', '--encoder', 'txt', '--batch', '16']);
      expect(none.status).toBe(1);
      expect(none.stderr).toMatch(/^altmoe: error: the disk holding the catalog is full \(.*\): nothing can be saved until some space is freed \(reading still works\)\n$/);
      // Room for a few batches: embedding stops when it is gone, saying what it kept.
      fs.truncateSync(fill, fs.statSync(fill).size - 640 * 1024);
      const embed = await run(['embed', '--encoder', 'txt', '--batch', '16']);
      expect(embed.status).toBe(1);
      const lines = embed.stderr.trim().split('\n');
      expect(lines.at(-1), embed.stderr).toMatch(/^altmoe: error: the disk holding the catalog is full/);
      const [, stored, jobId] = STORED.exec(lines.at(-1)!) ?? [];
      expect(Number(stored), embed.stderr).toBeGreaterThan(0);
      fs.rmSync(fill);
      const resumed = await run(['embed', '--resume', jobId!]);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(new RegExp(`\\b${400 - Number(stored)} embedded\\b`));
      // Full again: a search still answers.
      fillUp();
      const found = await run(['search', 'a red dog', '--to', 'text', '--encoder', 'txt', '-k', '3']);
      expect(found.status, found.stderr).toBe(0);
      expect(found.stdout).toMatch(/a red dog number/);
      expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    } finally {
      release();
    }
  }, 60_000);
});
