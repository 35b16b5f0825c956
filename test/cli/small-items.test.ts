// The small things a user trips on, through the CLI a user runs.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/core/cli/main.ts';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { writeFiles } from '../helpers.ts';
import { catalogWithVectors } from '../runs/fixtures.ts';

async function cli(args: string[], file: string): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  let out = '';
  const io = { out: (t: string) => (out += `${t}\n`), err: { write: (t: string) => ((err += t), true) } as unknown as NodeJS.WriteStream };
  const code = await runCli([...args, '--catalog', file], io);
  return { code, err, out };
}

describe('small things', () => {
  it('a fresh run reports its planned total, says "training on" once and never "resumed"; pairs without vectors are reported; an untrained head is flagged', async () => {
    const { dir, c } = await catalogWithVectors();
    // Two pairs whose media have no vectors: left out, and said so.
    writeFiles(dir, { 'extra.jsonl': [0, 1].map((i) => JSON.stringify({ path: `x/${i}.jpg`, caption: `extra ${i}`, split: 'train' })).join('\n') });
    await importDataset(c, 'manifest', path.join(dir, 'extra.jsonl'), { name: 'extra', hashMedia: false });
    const r = await cli(['train', '--pairs', 'image:text', '--preset', 'laptop', '--steps', '150', '--eval-every', '50', '--batch', '32', '--loss', 'pred', '--threads', '1'], c.file);
    expect(r.code).toBe(0);
    const steps = [...r.err.matchAll(/^step (\d+)\/(\d+) /gm)].map((m) => Number(m[2]));
    expect(steps.length).toBeGreaterThan(0);
    expect(new Set(steps)).toEqual(new Set([150]));
    expect(r.err).toMatch(/~\d+s left/);
    expect(r.err.match(/^training on /gm)).toHaveLength(1);
    expect(r.err).not.toMatch(/resumed/);
    expect(r.err).toMatch(/warning: 2 image-text pair\(s\) are left out/);
    expect(r.out).not.toMatch(/stopped early/);

    const mapped = await cli(['eval', '1', '--head', 'mapped'], c.file);
    expect(mapped.code).toBe(0);
    expect(mapped.out).toMatch(/warning: this run trained only the prediction loss/);
    const pred = await cli(['eval', '1'], c.file);
    // The prediction head is the trained one: no head warning (this synthetic set's near-duplicate
    // images do straddle train and test, and that warning stays).
    expect(pred.out).not.toMatch(/warning: this run trained only/);
  }, 120_000);

  it('a Clotho CSV whose name carries no split says every pair is unassigned', async () => {
    const { dir, c } = await catalogWithVectors();
    writeFiles(dir, { 'captions.csv': 'file_name,caption_1\na.wav,a dog barks\n', 'a.wav': 'x' });
    const r = await cli(['import', 'clotho', path.join(dir, 'captions.csv'), '--root', dir, '--no-hash'], c.file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/names no split .* every pair is unassigned; give --split/);
    const named = await cli(['import', 'clotho', path.join(dir, 'captions.csv'), '--root', dir, '--no-hash', '--split', 'test', '--name', 'b'], c.file);
    expect(named.out).not.toMatch(/names no split/);
  });
});
