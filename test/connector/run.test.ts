import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateRun } from '../../src-main/core/connector/evaluate-run.ts';
import { exportConnector } from '../../src-main/core/connector/export.ts';
import { resumeConnector, trainConnector, type RunEvent } from '../../src-main/core/connector/run.ts';
import { createSession, tensor } from '../../src-main/core/onnx/runtime.ts';
import { catalogWithVectors, SMALL } from './fixtures.ts';
import { runCli } from '../../src-main/core/cli/main.ts';


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
    out.length = 0;
    expect(await runCli(['search', '--item', '1', '--to', 'text', '-k', '3', '--catalog', cat], io)).toBe(0);
    expect(out.join('\n')).toMatch(/^[-\d.]+\s+text\s+\d+\s+synth\s+caption \d of item \d+\s+image->text \(run 1\)$/m);
    expect(out.join('\n').trim().split('\n')).toHaveLength(4);
    // Its encoders are known only by imported vectors: a text query cannot be encoded.
    expect(await runCli(['search', 'a dog barking', '--catalog', cat], io)).toBe(1);
    expect(await runCli(['export', '1', path.join(dir, 'exp'), '--catalog', cat], io)).toBe(0);
    expect(fs.existsSync(path.join(dir, 'exp', 'card.json'))).toBe(true);
    const runDir = path.join(`${cat}.runs`, 'run-1');
    expect(fs.existsSync(runDir)).toBe(true);
    expect(await runCli(['delete-run', '1', '--catalog', cat], io)).toBe(0);
    expect(fs.existsSync(runDir)).toBe(false);
    expect(await runCli(['delete-run', '1', '--catalog', cat], io)).toBe(1);
    expect(out.join('')).toMatch(/altmoe: error: no run 1/);
    out.length = 0;
    expect(await runCli(['train', '--pairs', 'audio:text', '--catalog', cat], io)).toBe(1);
    expect(out.join('')).toMatch(/altmoe: error: no audio encoder in the catalog/);
    out.length = 0;
    expect(await runCli(['train', '--pairs', 'image-text', '--catalog', cat], io)).toBe(2);
    expect(out.join('')).toMatch(/--pairs: "image-text" is not a pair/);
  }, 120_000);
});
