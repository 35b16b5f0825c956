// Unpaired items for a run (runs/unpaired.ts): which items join (the user's choice, never val or
// test), the one-line errors for a choice that cannot work, and an auto run with them resuming to
// exactly the run it would have been.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { importVectors } from '../../src-main/core/datasets/vectors.ts';
import { planRun } from '../../src-main/core/runs/plan.ts';
import { resumeConnector, trainConnector } from '../../src-main/core/runs/run.ts';
import { runConfig } from '../../src-main/core/runs/config.ts';
import { seeded } from '../onnx/gradcheck.ts';
import { cliOn, writeFiles, writeNpy } from '../helpers.ts';
import { catalogWithVectors, DIMS, SMALL } from './fixtures.ts';

type Cat = Awaited<ReturnType<typeof catalogWithVectors>>['c'];

/** A dataset of n images with one caption each, all in one split, with vectors under the given encoders. */
async function addDataset(c: Cat, dir: string, name: string, n: number, split: string, enc: { image: string; text: string }): Promise<void> {
  const rand = seeded(n + name.length);
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ path: `${name}/${i}.jpg`, caption: `${name} caption ${i}`, split }));
  writeFiles(dir, { [`${name}.jsonl`]: lines.join('\n'), [`${name}-img.txt`]: Array.from({ length: n }, (_, i) => `${name}/${i}.jpg`).join('\n'), [`${name}-txt.txt`]: Array.from({ length: n }, (_, i) => `${name}/${i}.jpg#0`).join('\n') });
  writeNpy(path.join(dir, `${name}-img.npy`), '<f4', [n, DIMS.image], Float32Array.from({ length: n * DIMS.image }, () => rand()));
  writeNpy(path.join(dir, `${name}-txt.npy`), '<f4', [n, DIMS.text], Float32Array.from({ length: n * DIMS.text }, () => rand()));
  await importDataset(c, 'manifest', path.join(dir, `${name}.jsonl`), { name, hashMedia: false });
  importVectors(c, path.join(dir, `${name}-img.npy`), { dataset: name, encoder: enc.image, ids: path.join(dir, `${name}-img.txt`) });
  importVectors(c, path.join(dir, `${name}-txt.npy`), { dataset: name, encoder: enc.text, ids: path.join(dir, `${name}-txt.txt`) });
}

const rows = (x: Float32Array | undefined, d: number) => (x?.length ?? 0) / d;

describe('unpaired items', () => {
  it('by default: the pairs --train-pairs leaves out and other datasets of the same encoders, never a val or test item', async () => {
    const { dir, c } = await catalogWithVectors();
    await addDataset(c, dir, 'extra', 7, 'train', { image: 'img-enc', text: 'txt-enc' });
    // 240 train images x 5 captions; 200 pairs = 40 images. The other 200 images and their 1,000
    // captions are unpaired; val and test (60 images, 300 captions) never are.
    const plan = (o: object = {}) => planRun(c, { pairs: [['image', 'text']], runsDir: dir, trainPairs: 200, datasets: ['synth'], ...o });
    const d = plan().data[0]!;
    expect(d.splits.train.owner.length).toBe(200);
    expect(rows(d.unpaired?.a, DIMS.image)).toBe(200 + 7);
    expect(rows(d.unpaired?.b, DIMS.text)).toBe(1000 + 7);
    expect(plan().config.unpaired).toBe('auto');
    const none = plan({ unpaired: 'none' }).data[0]!;
    expect(rows(none.unpaired?.a, DIMS.image) + rows(none.unpaired?.b, DIMS.text)).toBe(0);
    const named = plan({ unpaired: ['extra'] }).data[0]!;
    expect([rows(named.unpaired?.a, DIMS.image), rows(named.unpaired?.b, DIMS.text)]).toEqual([7, 7]);
    // A fixed preset trains on pairs alone: it loads none. A request check (the server's request
    // thread) reads them only for named datasets, whose errors it must raise.
    expect(plan({ preset: 'laptop' }).data[0]!.unpaired).toBeUndefined();
    expect(planRun(c, { pairs: [['image', 'text']], runsDir: dir, datasets: ['synth'] }, 'check').data[0]!.unpaired).toBeUndefined();
    expect(() => planRun(c, { pairs: [['image', 'text']], runsDir: dir, datasets: ['synth'], unpaired: ['nosuch'] }, 'check')).toThrow(/no dataset named "nosuch"/);
    c.close();
  });

  it('CLI: an unknown dataset, another encoder\'s items or only val/test items is a one-line error before anything is written', async () => {
    const { dir, c } = await catalogWithVectors();
    await addDataset(c, dir, 'other', 5, 'train', { image: 'other-img', text: 'other-txt' });
    await addDataset(c, dir, 'heldout', 5, 'test', { image: 'img-enc', text: 'txt-enc' });
    const file = c.file;
    c.close();
    const train = (unpaired: string, more: string[] = []) => cliOn(file, ['train', '--pairs', 'image:text', '--encoders', 'image=img-enc,text=txt-enc', '--unpaired', unpaired, ...more]);
    for (const [arg, message, more] of [
      ['nosuch', /^altmoe: error: --unpaired: no dataset named "nosuch"$/, []],
      ['other', /^altmoe: error: --unpaired: dataset "other" has no image vectors of "img-enc" and no text vectors of "txt-enc"/, []],
      ['heldout', /^altmoe: error: --unpaired: dataset "heldout" holds only validation and test items, which never join training$/, []],
      ['synth', /unpaired datasets go with the auto preset/, ['--preset', 'laptop']],
      [',', /^altmoe: .*unpaired datasets: name at least one \(or auto, or none\)/, []],
    ] as const) {
      const r = await train(arg, [...more]);
      expect(r.code, r.err).not.toBe(0);
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err.trim()).toMatch(message);
    }
    expect((await cliOn(file, ['list', 'runs'])).out).not.toMatch(/image-text/);
  }, 60_000);

  it('an auto run with unpaired items, cancelled and resumed, serves exactly what the run without the interruption serves', async () => {
    const { dir, c } = await catalogWithVectors();
    const opts = { pairs: [['image', 'text']] as [['image', 'text']], runsDir: path.join(dir, 'runs'), overrides: SMALL, trials: 1, budgetSeconds: 1000, trainPairs: 300, threads: 1 };
    const straight = await trainConnector(c, opts);
    const abort = new AbortController();
    const first = await trainConnector(c, opts, (e) => e.type === 'recall' && e.step === 200 && abort.abort(), abort.signal);
    expect(c.runs.get(first.runId)!.status).toBe('cancelled');
    const resumed = await resumeConnector(c, first.runId, () => {}, undefined, { threads: 1 });
    expect(runConfig(c, first.runId).unpaired).toBe('auto');
    expect(runConfig(c, first.runId).served).toEqual(runConfig(c, straight.runId).served);
    expect(resumed.test['image-text']!.connector.rsum).toBeCloseTo(straight.test['image-text']!.connector.rsum, 9);
    c.close();
  }, 120_000);
});
