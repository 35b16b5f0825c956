import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateRun } from '../../src-main/core/connector/evaluate-run.ts';
import { exportConnector } from '../../src-main/core/connector/export.ts';
import { resumeConnector, trainConnector, type RunEvent } from '../../src-main/core/connector/run.ts';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { importVectors } from '../../src-main/core/datasets/vectors.ts';
import { syntheticPairs } from '../../src-main/core/model/synthetic.ts';
import { createSession, tensor } from '../../src-main/core/onnx/runtime.ts';
import { tempCatalog, tempDir, writeFiles, writeNpy } from '../helpers.ts';
import { runCli } from '../../src-main/core/cli/main.ts';

const DIMS = { image: 16, text: 12 };

/** A catalog with a manifest dataset (train/val/test) and precomputed vectors for every item. */
async function catalogWithVectors(): Promise<{ dir: string; c: ReturnType<typeof tempCatalog> }> {
  const dir = tempDir();
  const items = 300;
  const data = syntheticPairs({ items, captionsPerItem: 5, latent: 5, dimA: DIMS.image, dimB: DIMS.text, noise: 0.05, captionSpread: 0.15, seed: 3 });
  const lines: string[] = [];
  const textIds: string[] = [];
  for (let i = 0; i < items; i++) {
    const split = i < 240 ? 'train' : i < 270 ? 'val' : 'test';
    const p = `img/${i}.jpg`;
    lines.push(JSON.stringify({ path: p, captions: [0, 1, 2, 3, 4].map((k) => `caption ${k} of item ${i}`), split }));
    for (let k = 0; k < 5; k++) textIds.push(`${p}#${k}`);
  }
  writeFiles(dir, { 'm.jsonl': lines.join('\n'), 'img.txt': Array.from({ length: items }, (_, i) => `img/${i}.jpg`).join('\n'), 'txt.txt': textIds.join('\n') });
  writeNpy(path.join(dir, 'img.npy'), '<f4', [items, DIMS.image], data.a);
  writeNpy(path.join(dir, 'txt.npy'), '<f4', [items * 5, DIMS.text], data.b);
  const c = tempCatalog(dir);
  await importDataset(c, 'manifest', path.join(dir, 'm.jsonl'), { name: 'synth', hashMedia: false });
  importVectors(c, path.join(dir, 'img.npy'), { dataset: 'synth', encoder: 'img-enc', ids: path.join(dir, 'img.txt') });
  importVectors(c, path.join(dir, 'txt.npy'), { dataset: 'synth', encoder: 'txt-enc', ids: path.join(dir, 'txt.txt') });
  return { dir, c };
}

const SMALL = { dim: 32, hidden: 64, experts: 4, topK: 2, layers: 1, steps: 300, batchSize: 64, evalEvery: 100, patience: 5, lr: 3e-3 };

describe('connector runs over the catalog', () => {
  it('trains with validation recall, keeps the best checkpoint, evaluates the test split with baselines, and exports', async () => {
    const { dir, c } = await catalogWithVectors();
    const events: RunEvent[] = [];
    const s = await trainConnector(c, { pairs: [['image', 'text']], runsDir: path.join(dir, 'runs'), overrides: SMALL, threads: 1 }, (e) => events.push(e));
    expect(c.runs.get(s.runId)!.status).toBe('done');
    const recalls = events.filter((e): e is Extract<RunEvent, { type: 'recall' }> => e.type === 'recall');
    expect(recalls.map((r) => r.step)).toEqual([100, 200, 300]);
    expect(s.bestValRsum).toBe(Math.max(...recalls.map((r) => r.result.rsum)));
    const test = s.test['image-text']!;
    // 30 test items x 5 captions: chance R@1 is 1/30 and 5/150; the connector is far above it.
    expect(test.connector.forward.r1).toBeGreaterThan(0.3);
    expect(test.connector.backward.r1).toBeGreaterThan(0.2);
    expect(test.ridge.rsum).toBeGreaterThan(0);
    const metrics = c.metrics.forRun(s.runId);
    expect(metrics.filter((m) => m.split === 'val' && m.name === 'rsum').map((m) => m.step)).toEqual([100, 200, 300]);
    expect(metrics.find((m) => m.split === 'test.image-text' && m.name === 'rsum')!.value).toBeCloseTo(test.connector.rsum, 6);
    expect(metrics.some((m) => m.split === 'test.image-text.baseline.ridge')).toBe(true);
    expect(c.checkpoints.latest(s.runId)!.step).toBe(s.bestStep);

    const again = await evaluateRun(c, s.runId, 'test', 'mapped');
    expect(again.pairs[0]!.connector.rsum).toBeCloseTo(test.connector.rsum, 6);
    expect(again.pairs[0]!).toMatchObject({ items: 30, captions: 150 });
    const predHead = await evaluateRun(c, s.runId, 'test', 'pred');
    expect(predHead.pairs[0]!.connector.rsum).not.toBe(test.connector.rsum);

    const out = path.join(dir, 'export');
    const ex = exportConnector(c, s.runId, out);
    expect(ex.files.sort()).toEqual(['card.json', 'infer.image-to-text.onnx', 'infer.text-to-image.onnx', 'params.safetensors']);
    const card = JSON.parse(fs.readFileSync(path.join(out, 'card.json'), 'utf8'));
    expect(card.encoders.image).toMatchObject({ name: 'img-enc', hash: 'external:img-enc', dim: 16 });
    expect(card.directions[0]).toMatchObject({ source: 'image', target: 'text', inputs: [{ name: 'image', shape: ['N', 16] }] });
    expect(card.standardisation.text.mean).toHaveLength(12);
    const session = await createSession(fs.readFileSync(path.join(out, 'infer.image-to-text.onnx')));
    expect(session.inputNames).toEqual(['image']);
    const r = await session.run({ image: tensor('float32', [2, 16], new Float32Array(32).fill(0.5)) });
    expect(r.mapped!.dims).toEqual([2, 12]);
    expect(r.pred!.dims).toEqual([2, 12]);
  }, 120_000);

  it('a cancelled run resumes to the same result as an uninterrupted one', async () => {
    const { dir, c } = await catalogWithVectors();
    const straight = await trainConnector(c, { pairs: [['image', 'text']], runsDir: path.join(dir, 'runs'), overrides: SMALL, threads: 1 });
    const abort = new AbortController();
    const first = await trainConnector(c, { pairs: [['image', 'text']], runsDir: path.join(dir, 'runs'), overrides: SMALL, threads: 1 }, (e) => {
      if (e.type === 'recall' && e.step === 100) abort.abort();
    }, abort.signal);
    expect(c.runs.get(first.runId)!.status).toBe('cancelled');
    const resumed = await resumeConnector(c, first.runId, () => {}, undefined, { threads: 1 });
    expect(c.runs.get(first.runId)!.status).toBe('done');
    expect(resumed.bestValRsum).toBeCloseTo(straight.bestValRsum, 9);
    expect(resumed.test['image-text']!.connector.rsum).toBeCloseTo(straight.test['image-text']!.connector.rsum, 9);
  }, 120_000);

  it('CLI: train, list runs, eval and export, with clear errors for bad requests', async () => {
    const { dir, c } = await catalogWithVectors();
    c.close();
    const cat = c.file;
    const out: string[] = [];
    const err = { write: (s: string) => (out.push(s), true) } as unknown as NodeJS.WriteStream;
    const io = { out: (t: string) => out.push(t), err };
    expect(await runCli(['train', '--pairs', 'image:text', '--steps', '100', '--eval-every', '50', '--batch', '64', '--threads', '1', '--catalog', cat], io)).toBe(0);
    expect(out.join('\n')).toMatch(/run 1 ".*": done; best validation RSUM/);
    expect(out.join('\n')).toMatch(/connector\s+[\d.]+/);
    expect(out.join('\n')).toMatch(/ridge \(linear\)/);
    out.length = 0;
    expect(await runCli(['list', 'runs', '--catalog', cat], io)).toBe(0);
    expect(out.join('\n')).toMatch(/^1\s+image-text laptop\s+done/m);
    out.length = 0;
    expect(await runCli(['eval', '1', '--split', 'test', '--catalog', cat], io)).toBe(0);
    expect(out.join('\n')).toMatch(/image-text: 30 items, 150 captions/);
    expect(await runCli(['export', '1', path.join(dir, 'exp'), '--catalog', cat], io)).toBe(0);
    expect(fs.existsSync(path.join(dir, 'exp', 'card.json'))).toBe(true);
    out.length = 0;
    expect(await runCli(['train', '--pairs', 'audio:text', '--catalog', cat], io)).toBe(1);
    expect(out.join('')).toMatch(/altmoe: error: no audio encoder in the catalog/);
    out.length = 0;
    expect(await runCli(['train', '--pairs', 'image-text', '--catalog', cat], io)).toBe(2);
    expect(out.join('')).toMatch(/--pairs: "image-text" is not a pair/);
  }, 120_000);
});
