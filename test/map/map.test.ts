// The embedding map as a user makes it: `altmoe map` (its defaults) and the service's map:start job
// with map:get; cached per source and laid out again only when the vectors change; a run's map
// holds both modalities in the run's space.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src-shared/api.ts';
import { computeMap, readMap } from '../../src-main/core/map/map.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { validatePayload } from '../../src-main/core/service/validate.ts';
import { catalogWithVectors, SMALL } from '../runs/fixtures.ts';
import { cliOn as cli, until } from '../helpers.ts';
import { trainConnector } from '../../src-main/core/runs/run.ts';

describe('map', () => {
  it('altmoe map lays out an encoder, writes a PNG, and uses the cache until the vectors change', async () => {
    const { dir, c } = await catalogWithVectors();
    const png = path.join(dir, 'map.png');
    const first = await cli(c.file, ['map', '--encoder', 'img-enc', '--out', png, '--color', 'split']);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^mapped 300 points of img-enc \(\d+\.\d+s to lay out\); wrote .*map\.png \(by split\)\n$/);
    expect(first.err).toMatch(/laying out \(UMAP\)/);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 1200, 1200]);

    const cached = await cli(c.file, ['map', '--encoder', 'img-enc']);
    expect(cached.out).toMatch(/^map from the cache: 300 points of img-enc/);
    const map = readMap(c, { encoder: 'img-enc' })!;
    expect(map.stale).toBe(false);
    expect(map.ids.length).toBe(300);
    expect(new Set(map.split.map((s) => map.splits[s]))).toEqual(new Set(['train', 'val', 'test']));
    expect(map.modality.every((m) => map.modalities[m] === 'image')).toBe(true);

    // A changed vector makes the cached map stale; the next map lays out again, and the same seed
    // gives the same layout for the same vectors.
    const e = c.encoders.get('img-enc')!;
    const v = c.embeddings.get(e.id, map.ids[0]!)!.map((x) => -x);
    c.write(() => c.embeddings.put(e.id, map.ids[0]!, e.file_hash, Buffer.from(v.buffer), Date.now()));
    expect(readMap(c, { encoder: 'img-enc' })!.stale).toBe(true);
    const again = await computeMap(c, { encoder: 'img-enc' });
    expect(again.cached).toBe(false);
    expect((await computeMap(c, { encoder: 'img-enc' })).cached).toBe(true);
    const x1 = readMap(c, { encoder: 'img-enc' })!.x;
    await computeMap(c, { encoder: 'img-enc' }, { force: true });
    expect(readMap(c, { encoder: 'img-enc' })!.x).toEqual(x1);
    // Another seed is another layout (a setting change is not served from the cache).
    expect((await computeMap(c, { encoder: 'img-enc' }, { seed: 2 })).cached).toBe(false);
    expect(readMap(c, { encoder: 'img-enc' })!.x).not.toEqual(x1);

    const bad = await cli(c.file, ['map', '--encoder', 'nope']);
    expect(bad).toMatchObject({ code: 1, err: 'altmoe: error: no encoder named "nope" (see "altmoe list encoders")\n' });
    expect((await cli(c.file, ['map'])).code).toBe(2);
    expect((await cli(c.file, ['map', '--encoder', 'img-enc', '--sample', '5'])).err).toMatch(/the sample size must be a whole number from 100/);
    fs.rmSync(png);
  }, 120_000);

  it('maps a run: both modalities in its space, as a service job', async () => {
    const { dir, c } = await catalogWithVectors();
    await trainConnector(c, { pairs: [['image', 'text']], preset: 'laptop', overrides: { ...SMALL, steps: 60, evalEvery: 30 }, runsDir: path.join(dir, 'runs'), threads: 1 });
    const service = new EngineService(c, { version: 't', mode: 'server', runsDir: path.join(dir, 'runs') });
    const updates: JobInfo[] = [];
    service.on((event, payload) => event === 'job:update' && updates.push(payload as JobInfo));
    try {
      expect(await service.handle('map:get', validatePayload('map:get', { run: 1 }))).toBeNull();
      const { jobId } = await service.handle('map:start', validatePayload('map:start', { run: 1 }));
      await until(() => updates.some((u) => u.jobId === jobId && (u.status === 'done' || u.status === 'failed')));
      expect(updates.filter((u) => u.jobId === jobId).at(-1)).toMatchObject({ kind: 'map', status: 'done' });
      expect(updates.some((u) => u.jobId === jobId && u.progress?.phase === 'laying out (UMAP)')).toBe(true);
      const map = (await service.handle('map:get', validatePayload('map:get', { run: 1 })))!;
      expect(map.space).toBe('run 1 (text space)');
      // 300 images and their 1,500 captions.
      const counts = map.modality.reduce((n, m) => ((n[map.modalities[m]!] = (n[map.modalities[m]!] ?? 0) + 1), n), {} as Record<string, number>);
      expect(counts).toEqual({ text: 1500, image: 300 });
      expect(map.x.every((x) => x >= -1 && x <= 1)).toBe(true);
      await expect(service.handle('map:start', validatePayload('map:start', { run: 99 }))).rejects.toThrow('no run 99');
      expect(() => validatePayload('map:start', { encoder: 'a', run: 1 })).toThrow('a map is of an encoder or of a run');
    } finally {
      await service.close();
    }
  }, 180_000);
});
