// The embedding map as a user makes it: `altmoe map` (its defaults) and the service's map:start job
// with map:get; cached per source and laid out again only when the vectors change; a run's map
// holds a pair's two modalities in the space that pair searches in, one map per pair.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src-shared/api.ts';
import { computeMap, readMap } from '../../src-main/core/map/map.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { validatePayload } from '../../src-main/core/service/validate.ts';
import { mapRows } from '../../src-main/core/map/map-source.ts';
import { galleryMapper, queryMapper } from '../../src-main/core/model/served.ts';
import { encoderRows } from '../../src-main/core/catalog/encoder-rows.ts';
import { normalizeRows } from '../../src-main/core/index/exact.ts';
import { runConfig, servedFor } from '../../src-main/core/runs/config.ts';
import type { Modality } from '../../src-shared/types.ts';
import { catalogWithTwoPairs, catalogWithVectors, SMALL } from '../runs/fixtures.ts';
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
      expect(map.source).toBe('run:1');
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

  it('maps each pair of a run of several in the space that pair searches in', async () => {
    const { dir, c } = await catalogWithTwoPairs();
    // The default (auto) preset, which serves each pair its own ensemble.
    await trainConnector(c, { pairs: [['image', 'text'], ['audio', 'text']], trials: 1, budgetSeconds: 600, overrides: { ...SMALL, steps: 300 }, runsDir: path.join(dir, 'runs'), threads: 1 });
    const config = runConfig(c, 1);
    expect(Object.keys(config.served ?? {})).toEqual(['image-text', 'audio-text']);
    // Each modality's rows exactly as search maps them for the pair: the source's by the pair's query
    // graph, the target's by its gallery graph.
    const asSearch = async (m: Modality, pair: [Modality, Modality]): Promise<Float32Array> => {
      const served = servedFor(config, pair[0], pair[1]);
      const mapper = await (m === pair[1] ? galleryMapper(served, m) : queryMapper(served, m, pair[1]));
      try {
        return normalizeRows(await mapper.map((await encoderRows(c, c.encoders.get(config.encoders[m]!.name)!)).raw), mapper.dim);
      } finally {
        await mapper.release();
      }
    };
    const image = await mapRows(c, { run: 1 });
    const audio = await mapRows(c, { run: 1, pair: ['text', 'audio'] });
    expect([image.key, image.space]).toEqual(['run:1:image-text', 'run 1, image-text (text space)']);
    expect([audio.key, audio.space]).toEqual(['run:1:audio-text', 'run 1, audio-text (text space)']);
    // The target's items first (all 1,660 texts, titles and transcripts alike), then the pair's media.
    const texts = 300 * 5 + 80 * 2;
    expect([image.ids.length, audio.ids.length]).toEqual([texts + 300, texts + 80]);
    expect(Array.from(audio.unit.subarray(0, texts * audio.dim))).toEqual(Array.from(await asSearch('text', ['audio', 'text'])));
    expect(Array.from(audio.unit.subarray(texts * audio.dim))).toEqual(Array.from(await asSearch('audio', ['audio', 'text'])));
    expect(Array.from(image.unit.subarray(0, texts * image.dim))).toEqual(Array.from(await asSearch('text', ['image', 'text'])));
    expect(Array.from(image.unit.subarray(texts * image.dim))).toEqual(Array.from(await asSearch('image', ['image', 'text'])));
    // Each pair's gallery graph is its own (its ensemble's members and weights, QB-Norm), so the
    // texts sit elsewhere in each map: one map of both would put the sounds among texts they were
    // never scored against.
    expect(audio.unit.subarray(0, texts * audio.dim)).not.toEqual(image.unit.subarray(0, texts * image.dim));
    await expect(mapRows(c, { run: 1, pair: ['image', 'audio'] })).rejects.toThrow(/^run 1 has no image-audio pair \(its pairs: image-text, audio-text\)$/);

    // As a service job: the pair in the request, the job named after it.
    const service = new EngineService(c, { version: 't', mode: 'server', runsDir: path.join(dir, 'runs') });
    const updates: JobInfo[] = [];
    service.on((event, payload) => event === 'job:update' && updates.push(payload as JobInfo));
    try {
      const { jobId } = await service.handle('map:start', validatePayload('map:start', { run: 1, pair: ['audio', 'text'], sample: 500 }));
      await until(() => updates.some((u) => u.jobId === jobId && (u.status === 'done' || u.status === 'failed')));
      expect(updates.filter((u) => u.jobId === jobId).at(-1)).toMatchObject({ kind: 'map', status: 'done', title: 'map of run 1, audio-text' });
      const got = (await service.handle('map:get', validatePayload('map:get', { run: 1, pair: ['audio', 'text'] })))!;
      expect([got.source, got.space, got.ids.length, got.stale]).toEqual(['run:1:audio-text', 'run 1, audio-text (text space)', texts + 80, false]);
      expect(await service.handle('map:get', validatePayload('map:get', { run: 1 }))).toBeNull();
      await expect(service.handle('map:start', validatePayload('map:start', { run: 1, pair: ['image', 'audio'] }))).rejects.toThrow('run 1 has no image-audio pair');
      expect(() => validatePayload('map:get', { run: 1, pair: ['audio'] })).toThrow('the pair must be two modalities, like audio:text');
    } finally {
      await service.close();
    }
    c.close();

    // Through the CLI: the first pair by default, another with --pair, each cached under its own key.
    const first = await cli(c.file, ['map', '--run', '1', '--sample', '500']);
    expect(first.out).toMatch(/^mapped 1,960 points of run 1, image-text \(text space\)/);
    const second = await cli(c.file, ['map', '--run', '1', '--pair', 'audio:text', '--sample', '500']);
    expect(second.out).toMatch(/^map from the cache: 1,740 points of run 1, audio-text \(text space\)/);
    expect((await cli(c.file, ['map', '--run', '1', '--sample', '500'])).out).toMatch(/^map from the cache: 1,960 points/);
    const bad = await cli(c.file, ['map', '--run', '1', '--pair', 'image:audio']);
    expect([bad.code, bad.err.trim()]).toEqual([1, 'altmoe: error: run 1 has no image-audio pair (its pairs: image-text, audio-text)']);
    expect((await cli(c.file, ['map', '--encoder', 'img-enc', '--pair', 'audio:text'])).err.trim()).toBe('altmoe: --pair names one of a run\'s pairs: use it with --run (see "altmoe --help")');
    expect((await cli(c.file, ['map', '--run', '1', '--pair', 'audio'])).err.trim()).toBe('altmoe: --pair: "audio" is not a pair of two modalities like audio:text (see "altmoe --help")');
  }, 180_000);
});
