// One validation layer: every bad value gets one line, no stack trace, nothing written, and the same
// message from the CLI (its flags become the API's request) and from the API (the HTTP/IPC path:
// validatePayload, then the service).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestChannel } from '../../src-shared/api.ts';
import type { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { runCli } from '../../src-main/core/cli/main.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { validatePayload } from '../../src-main/core/service/validate.ts';
import { dump } from '../helpers.ts';
import { catalogWithVectors } from '../runs/fixtures.ts';

let c: Catalog;
let file: string;
let service: EngineService;

// A fresh catalog per case (the helpers remove temp folders after each test).
beforeEach(async () => {
  ({ c } = await catalogWithVectors());
  file = c.file;
  service = new EngineService(c, { version: 't', mode: 'server', runsDir: `${c.file}.runs` });
});
afterEach(async () => {
  await service.close();
});

async function cli(args: string[]): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  let out = '';
  const io = { out: (t: string) => (out += `${t}\n`), err: { write: (t: string) => ((err += t), true) } as unknown as NodeJS.WriteStream };
  const code = await runCli([...args, '--catalog', file], io);
  return { code, err, out };
}

async function api(channel: RequestChannel, payload: unknown): Promise<string> {
  try {
    await service.handle(channel, validatePayload(channel, payload));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${channel} accepted ${JSON.stringify(payload)}`);
}

const TRAIN = { pairs: [['image', 'text']] };
/** [what, CLI args, API channel and payload, the message both must say, CLI exit code]. */
const CASES: [string, string[], RequestChannel, unknown, RegExp, number][] = [
  ['lr NaN', ['train', '--pairs', 'image:text', '--lr', 'NaN'], 'train:start', { ...TRAIN, lr: Number.NaN }, /^the learning rate must be a number from 1e-8 to 1$/, 2],
  ['lr Infinity', ['train', '--pairs', 'image:text', '--lr', 'Infinity'], 'train:start', { ...TRAIN, lr: Infinity }, /^the learning rate must be/, 2],
  ['lr 1e9', ['train', '--pairs', 'image:text', '--lr', '1e9'], 'train:start', { ...TRAIN, lr: 1e9 }, /^the learning rate must be/, 2],
  ['lr 0', ['train', '--pairs', 'image:text', '--lr', '0'], 'train:start', { ...TRAIN, lr: 0 }, /^the learning rate must be/, 2],
  ['lr negative', ['train', '--pairs', 'image:text', '--lr', '-0.1'], 'train:start', { ...TRAIN, lr: -0.1 }, /^the learning rate must be/, 2],
  ['lr 5e-324', ['train', '--pairs', 'image:text', '--lr', '5e-324'], 'train:start', { ...TRAIN, lr: 5e-324 }, /^the learning rate must be a number from 1e-8 to 1$/, 2],
  ['lr wrong type', ['train', '--pairs', 'image:text', '--lr', 'fast'], 'train:start', { ...TRAIN, lr: 'fast' }, /^the learning rate must be/, 2],
  ['batch 1', ['train', '--pairs', 'image:text', '--batch', '1'], 'train:start', { ...TRAIN, batchSize: 1 }, /^the batch size must be a whole number from 2 to 16,384$/, 2],
  ['batch huge', ['train', '--pairs', 'image:text', '--batch', '100000'], 'train:start', { ...TRAIN, batchSize: 100_000 }, /^the batch size must be a whole number from 2/, 2],
  ['batch fraction', ['train', '--pairs', 'image:text', '--batch', '2.5'], 'train:start', { ...TRAIN, batchSize: 2.5 }, /^the batch size must be a whole number/, 2],
  ['steps huge', ['train', '--pairs', 'image:text', '--steps', '99999999999999999999'], 'train:start', { ...TRAIN, steps: 1e20 }, /^steps must be a whole number from 1 to 10,000,000$/, 2],
  ['steps 0', ['train', '--pairs', 'image:text', '--steps', '0'], 'train:start', { ...TRAIN, steps: 0 }, /^steps must be a whole number/, 2],
  ['eval interval huge', ['train', '--pairs', 'image:text', '--eval-every', '1e12'], 'train:start', { ...TRAIN, evalEvery: 1e12 }, /^the evaluation interval must be a whole number/, 2],
  ['budget 0', ['train', '--pairs', 'image:text', '--budget', '0'], 'train:start', { ...TRAIN, budgetSeconds: 0 }, /^the time budget \(seconds\) must be a number above 0/, 2],
  ['budget NaN', ['train', '--pairs', 'image:text', '--budget', 'NaN'], 'train:start', { ...TRAIN, budgetSeconds: Number.NaN }, /^the time budget \(seconds\) must be/, 2],
  ['seed fraction', ['train', '--pairs', 'image:text', '--seed', '1.5'], 'train:start', { ...TRAIN, seed: 1.5 }, /^the seed must be a whole number from 0/, 2],
  ['seed negative', ['train', '--pairs', 'image:text', '--seed', '-1'], 'train:start', { ...TRAIN, seed: -1 }, /^the seed must be a whole number from 0/, 2],
  ['same modality twice', ['train', '--pairs', 'image:image'], 'train:start', { pairs: [['image', 'image']] }, /^the pair image:image needs two different modalities$/, 2],
  ['unknown modality', ['train', '--pairs', 'image:smell'], 'train:start', { pairs: [['image', 'smell']] }, /^a modality must be one of image, text, audio$/, 2],
  ['unknown preset', ['train', '--pairs', 'image:text', '--preset', 'huge'], 'train:start', { ...TRAIN, preset: 'huge' }, /^the preset must be one of auto, laptop, paper$/, 2],
  ['trials 0', ['train', '--pairs', 'image:text', '--trials', '0'], 'train:start', { ...TRAIN, trials: 0 }, /^the number of trials must be a whole number from 1 to 5$/, 2],
  ['trials too many', ['train', '--pairs', 'image:text', '--trials', '6'], 'train:start', { ...TRAIN, trials: 6 }, /^the number of trials must be a whole number from 1 to 5$/, 2],
  ['trials without auto', ['train', '--pairs', 'image:text', '--preset', 'laptop', '--trials', '2'], 'train:start', { ...TRAIN, preset: 'laptop', trials: 2 }, /^a number of trials goes with the auto preset$/, 2],
  ['budget without auto', ['train', '--pairs', 'image:text', '--preset', 'laptop', '--budget', '10'], 'train:start', { ...TRAIN, preset: 'laptop', budgetSeconds: 10 }, /^a time budget goes with the auto preset$/, 2],
  ['pairs without vectors', ['train', '--pairs', 'image:audio'], 'train:start', { pairs: [['image', 'audio']] }, /^no audio encoder in the catalog/, 1],
  ['unknown dataset', ['train', '--pairs', 'image:text', '--datasets', 'nope'], 'train:start', { ...TRAIN, datasets: ['nope'] }, /^no dataset named "nope"$/, 1],
  ['unknown run (resume)', ['train', '--resume', '99'], 'train:resume', { run: 99 }, /^no run 99$/, 1],
  ['bad run id', ['train', '--resume', '-3'], 'train:resume', { run: -3 }, /run id/, 2],
  ['unknown run (delete)', ['delete-run', '99'], 'runs:delete', { run: 99 }, /^no run 99$/, 1],
  ['unknown encoder', ['embed', '--encoder', 'nope'], 'embed:start', { encoder: 'nope' }, /^no encoder named "nope"/, 1],
  ['embed batch 0', ['embed', '--encoder', 'img-enc', '--batch', '0'], 'embed:start', { encoder: 'img-enc', batchSize: 0 }, /^the batch size must be a whole number from 1 to 4,096$/, 2],
  ['embed unknown dataset', ['embed', '--encoder', 'img-enc', '--dataset', 'nope'], 'embed:start', { encoder: 'img-enc', dataset: 'nope' }, /^no dataset named "nope"$/, 1],
  ['min score 5', ['search', 'a cat', '--to', 'image', '--min-score', '5'], 'search:query', { query: { text: 'a cat' }, to: ['image'], minScore: 5 }, /^the minimum score must be a number from -1 to 1$/, 2],
  ['k -1', ['search', 'a cat', '--to', 'image', '-k', '-1'], 'search:query', { query: { text: 'a cat' }, to: ['image'], k: -1 }, /^the number of results \(k\) must be a whole number from 1 to 1,000$/, 2],
  ['k huge', ['search', 'a cat', '--to', 'image', '-k', '5000'], 'search:query', { query: { text: 'a cat' }, to: ['image'], k: 5000 }, /^the number of results \(k\)/, 2],
  ['bad split', ['search', 'a cat', '--to', 'image', '--splits', 'foo'], 'search:query', { query: { text: 'a cat' }, to: ['image'], splits: ['foo'] }, /^a split must be one of train, val, test$/, 2],
  ['unknown dataset (delete)', ['delete-dataset', 'nope'], 'datasets:delete', { dataset: 'nope' }, /^no dataset named "nope"$/, 1],
  ['import of nothing', ['import', 'coco', '/nonexistent/captions.json'], 'import:start', { format: 'coco', source: '/nonexistent/captions.json' }, /(no such file|not found|does not exist)/i, 1],
];

describe('one validation layer for the CLI and the API', () => {
  it.each(CASES)('%s: one line, the same message, exit code, nothing written', async (_what, args, channel, payload, message, code) => {
    const before = dump(c);
    const jobsBefore = (await service.handle('jobs:list', undefined)).length;
    const fromApi = await api(channel, payload);
    expect(fromApi).toMatch(message);
    const r = await cli(args);
    expect(r.code).toBe(code);
    expect(r.out).toBe('');
    // One line, no stack trace.
    expect(r.err.split('\n').filter((l) => l !== '' && !/^job [0-9a-f-]{36}$/.test(l))).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at |unexpected error/);
    expect(r.err).toContain(fromApi);
    // Nothing written: no run, no job, no row.
    expect(dump(c).replace(/"jobs":\[.*?\],"counters"/, '')).toBe(before.replace(/"jobs":\[.*?\],"counters"/, ''));
    expect((await service.handle('jobs:list', undefined)).length).toBe(jobsBefore);
    expect(fs.existsSync(path.join(`${file}.runs`, 'run-1'))).toBe(false);
  });

  it('unknown ids on eval and export are one line with exit code 1', async () => {
    for (const args of [['eval', '99'], ['export', '99', path.join(path.dirname(file), 'out')]]) {
      const r = await cli(args);
      expect(r.code).toBe(1);
      expect(r.err).toBe('altmoe: error: no run 99 (see "altmoe list runs")\n');
    }
  });

  it('list jobs exists, and an unknown list names every choice', async () => {
    expect((await cli(['list', 'jobs'])).code).toBe(0);
    const r = await cli(['list', 'things']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/datasets, encoders, imports, formats, runs, jobs/);
  });
});
