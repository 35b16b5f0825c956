import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateRun } from '../../src-main/core/runs/evaluate-run.ts';
import { exportConnector } from '../../src-main/core/runs/export.ts';
import { resumeConnector, trainConnector } from '../../src-main/core/runs/run.ts';
import { type RunEvent } from '../../src-main/core/runs/events.ts';
import { createSession, tensor } from '../../src-main/core/onnx/runtime.ts';
import { catalogWithVectors, SMALL } from './fixtures.ts';
import { runCli } from '../../src-main/core/cli/main.ts';
import { microScore } from '../../src-main/core/model/baselines/recall.ts';


describe('connector runs over the catalog', () => {
  it('trains with validation recall, keeps the best checkpoint, evaluates the test split with baselines, and exports', async () => {
    const { dir, c } = await catalogWithVectors();
    const events: RunEvent[] = [];
    const s = await trainConnector(c, { pairs: [['image', 'text']], preset: 'laptop', runsDir: path.join(dir, 'runs'), overrides: SMALL, threads: 1 }, (e) => events.push(e));
    expect(c.runs.get(s.runId)!.status).toBe('done');
    // The run's id comes first, so a job follows its own run (never "the newest row").
    expect(events[0]).toEqual({ type: 'created', runId: s.runId });
    const recalls = events.filter((e): e is Extract<RunEvent, { type: 'recall' }> => e.type === 'recall');
    expect(recalls.map((r) => r.step)).toEqual([100, 200, 300]);
    // The val criterion: mean R@1/5/10 over all 30 + 150 val queries.
    const micro = recalls.map((r) => microScore([{ result: r.result, media: 30, captions: 150 }]));
    expect(s.bestValScore).toBeCloseTo(Math.max(...micro), 9);
    const test = s.test['image-text']!;
    // 30 test items x 5 captions: chance R@1 is 1/30 and 5/150; the connector is far above it.
    expect(test.connector.forward.r1).toBeGreaterThan(0.3);
    expect(test.connector.backward.r1).toBeGreaterThan(0.2);
    expect(Object.keys(test.baselines).sort()).toEqual(['asif', 'cca', 'knn', 'ridge']);
    expect(test.baselines.ridge.result.rsum).toBeGreaterThan(0);
    expect(test).toMatchObject({ split: 'test', items: 30, captions: 150 });
    const metrics = c.metrics.forRun(s.runId);
    expect(metrics.filter((m) => m.split === 'val' && m.name === 'rsum').map((m) => m.step)).toEqual([100, 200, 300]);
    expect(metrics.find((m) => m.split === 'test.image-text' && m.name === 'rsum')!.value).toBeCloseTo(test.connector.rsum, 6);
    for (const b of ['ridge', 'cca', 'knn', 'asif']) expect(metrics.some((m) => m.split === `test.image-text.baseline.${b}` && m.name === 'val_score')).toBe(true);
    expect(c.checkpoints.latest(s.runId)!.step).toBe(s.bestStep);

    const again = await evaluateRun(c, s.runId, 'test', 'mapped');
    expect(again.pairs[0]!.connector.rsum).toBeCloseTo(test.connector.rsum, 6);
    expect(again.pairs[0]!).toMatchObject({ items: 30, captions: 150 });
    const predHead = await evaluateRun(c, s.runId, 'test', 'pred');
    expect(predHead.pairs[0]!.connector.rsum).not.toBe(test.connector.rsum);

    const out = path.join(dir, 'export');
    const ex = exportConnector(c, s.runId, out);
    expect(ex.files.sort()).toEqual(['card.json', 'gallery.image-to-text.onnx', 'gallery.text-to-image.onnx', 'infer.image-to-text.onnx', 'infer.text-to-image.onnx', 'params.safetensors', 'query.image-to-text.onnx', 'query.text-to-image.onnx']);
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
    const straight = await trainConnector(c, { pairs: [['image', 'text']], preset: 'laptop', runsDir: path.join(dir, 'runs'), overrides: SMALL, threads: 1 });
    const abort = new AbortController();
    const first = await trainConnector(c, { pairs: [['image', 'text']], preset: 'laptop', runsDir: path.join(dir, 'runs'), overrides: SMALL, threads: 1 }, (e) => {
      if (e.type === 'recall' && e.step === 100) abort.abort();
    }, abort.signal);
    expect(c.runs.get(first.runId)!.status).toBe('cancelled');
    const resumed = await resumeConnector(c, first.runId, () => {}, undefined, { threads: 1 });
    expect(c.runs.get(first.runId)!.status).toBe('done');
    expect(resumed.bestValScore).toBeCloseTo(straight.bestValScore, 9);
    expect(resumed.test['image-text']!.connector.rsum).toBeCloseTo(straight.test['image-text']!.connector.rsum, 9);
  }, 120_000);

  it('CLI: train, list runs, eval and export, with clear errors for bad requests', async () => {
    const { dir, c } = await catalogWithVectors();
    c.close();
    const cat = c.file;
    const out: string[] = [];
    const err = { write: (s: string) => (out.push(s), true) } as unknown as NodeJS.WriteStream;
    const io = { out: (t: string) => out.push(t), err };
    // The default preset (auto), as a user runs it, with short trials.
    expect(await runCli(['train', '--pairs', 'image:text', '--steps', '100', '--eval-every', '50', '--batch', '64', '--threads', '1', '--budget', '6', '--catalog', cat], io)).toBe(0);
    const printed = out.join('\n');
    expect(printed).toMatch(/auto: trial 1\/5 \(dropout 0.5\)/);
    expect(printed).toMatch(/run 1 ".*": done; best validation score/);
    expect(printed).toMatch(/image-text serves .*connector/);
    expect(printed).toMatch(/served \(auto\)\s+[\d.]+/);
    for (const name of ['ridge \\(linear\\)', 'CCA', 'neighbours', 'ASIF \\(relative\\)', 'chance']) expect(printed).toMatch(new RegExp(`^${name}\\s+[\\d.]+`, 'm'));
    expect(printed).toMatch(/image-text: training (beat|tied with|did not beat) the best baseline .* RSUM on test$/m);
    out.length = 0;
    expect(await runCli(['list', 'runs', '--catalog', cat], io)).toBe(0);
    expect(out.join('\n')).toMatch(/^1\s+image-text auto\s+done/m);
    out.length = 0;
    expect(await runCli(['eval', '1', '--split', 'test', '--catalog', cat], io)).toBe(0);
    expect(out.join('\n')).toMatch(/image-text on test: 30 image items, 150 text captions/);
    expect(out.join('\n').trim().split('\n').at(-1)).toMatch(/^image-text: training (beat|tied with|did not beat) the best baseline/);
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
