// A run of several pairs serves each pair from its own best checkpoint on that pair's val queries,
// where one checkpoint chosen on every val query together would be the larger pair's choice.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { runCli } from '../../src-main/core/cli/main.ts';
import { altMoeModel } from '../../src-main/core/model/altmoe.ts';
import { microScore } from '../../src-main/core/model/baselines/recall.ts';
import { evaluateConnector } from '../../src-main/core/model/evaluate.ts';
import { BEST_FILE, pairBestFile, runConfig, runParams, servedFor } from '../../src-main/core/runs/config.ts';
import { evaluateRun } from '../../src-main/core/runs/evaluate-run.ts';
import { exportConnector } from '../../src-main/core/runs/export.ts';
import { evalSetOf } from '../../src-main/core/runs/pair-data.ts';
import { runData } from '../../src-main/core/runs/plan.ts';
import { resumeConnector, trainConnector } from '../../src-main/core/runs/run.ts';
import { readCheckpoint } from '../../src-main/core/train/checkpoint.ts';
import { readSafetensors } from '../../src-main/core/util/safetensors.ts';
import { metricSplit } from '../../src-shared/metric-keys.ts';
import { catalogWithTwoPairs, SMALL } from './fixtures.ts';

const PAIRS: [['image', 'text'], ['audio', 'text']] = [['image', 'text'], ['audio', 'text']];
const SETTINGS = { ...SMALL, steps: 600 };

/** The step (first, on ties) and score of a split's best recorded val score. */
function bestRecorded(c: Catalog, runId: number, split: string): { step: number; score: number } {
  return c.metrics
    .forRun(runId)
    .filter((m) => m.split === split && m.name === 'score' && m.step > 0)
    .sort((a, b) => a.step - b.step)
    .reduce((b, m) => (m.value > b.score ? { step: m.step, score: m.value } : b), { step: 0, score: -1 });
}

const sameParams = (x: ReadonlyMap<string, Float32Array | Float64Array>, y: ReadonlyMap<string, Float32Array | Float64Array>): boolean => [...x].every(([k, v]) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(y.get(k)!.buffer, y.get(k)!.byteOffset, y.get(k)!.byteLength)));

describe('a run of two pairs', () => {
  it('keeps, evaluates, serves and exports each pair from its own best checkpoint', async () => {
    const { dir, c } = await catalogWithTwoPairs();
    const s = await trainConnector(c, { pairs: PAIRS, preset: 'laptop', runsDir: path.join(dir, 'runs'), overrides: SETTINGS, threads: 1 });
    const config = runConfig(c, s.runId);
    const data = await runData(c, config);
    const spec = altMoeModel(config.model);
    const run = bestRecorded(c, s.runId, metricSplit.val());
    expect(run.step).toBe(s.bestStep);
    for (const d of data) {
      const key = `${d.a}-${d.b}`;
      const own = bestRecorded(c, s.runId, metricSplit.valPair(key));
      const file = path.join(config.dir, pairBestFile(key));
      expect(readCheckpoint(file).step).toBe(own.step);
      // The pair's file scores on its val queries what was recorded for it, at least its score at the run's best step.
      const r = await evaluateConnector(spec, readCheckpoint(file).params, evalSetOf(d, 'val'));
      expect(microScore([{ result: r, media: d.splits.val.aVecs.length / d.aDim, captions: d.splits.val.owner.length }])).toBeCloseTo(own.score, 9);
      const atRunBest = c.metrics.forRun(s.runId).find((m) => m.split === metricSplit.valPair(key) && m.name === 'score' && m.step === s.bestStep)!.value;
      expect(own.score).toBeGreaterThanOrEqual(atRunBest);
      // What the run serves and reports on test is that checkpoint's.
      expect(sameParams(servedFor(config, d.b, d.a).values, readCheckpoint(file).params)).toBe(true);
      const test = await evaluateConnector(spec, readCheckpoint(file).params, evalSetOf(d, 'test'));
      expect(s.test[key]!.connector.rsum).toBeCloseTo(test.rsum, 9);
    }
    // On this data the small audio set peaks early, long before image-text: the two bests differ,
    // and audio-text serves better than the run's best checkpoint would.
    const audio = bestRecorded(c, s.runId, metricSplit.valPair('audio-text'));
    expect(audio.step).not.toBe(s.bestStep);
    const audioData = data.find((d) => d.a === 'audio')!;
    const shared = await evaluateConnector(spec, readCheckpoint(path.join(config.dir, BEST_FILE)).params, evalSetOf(audioData, 'val'));
    expect(audio.score).toBeGreaterThan(microScore([{ result: shared, media: 10, captions: 20 }]));

    const again = await evaluateRun(c, s.runId, 'test');
    for (const p of again.pairs) expect(p.connector.rsum).toBeCloseTo(s.test[p.pair]!.connector.rsum, 9);

    const ex = exportConnector(c, s.runId, path.join(dir, 'export'));
    expect(ex.files.filter((f) => f.startsWith('params')).sort()).toEqual(['params.audio-text.safetensors', 'params.image-text.safetensors']);
    const card = JSON.parse(fs.readFileSync(path.join(dir, 'export', 'card.json'), 'utf8')) as { directions: { source: string; target: string; params: string }[] };
    expect(card.directions.map((d) => `${d.source}->${d.target} ${d.params}`)).toEqual(['image->text params.image-text.safetensors', 'text->image params.image-text.safetensors', 'audio->text params.audio-text.safetensors', 'text->audio params.audio-text.safetensors']);
    const exported = readSafetensors(path.join(dir, 'export', 'params.audio-text.safetensors')).tensors;
    const audioParams = runParams(config, 'best', 'audio-text');
    for (const [name, t] of Object.entries(exported)) expect(Array.from(t.data as Float32Array)).toEqual(Array.from(audioParams.get(name)!));

    // A partial copy of the run's folder is refused in one line, never served from another checkpoint.
    fs.rmSync(path.join(config.dir, pairBestFile('audio-text')));
    expect(() => servedFor(config, 'audio', 'text')).toThrow(/^the run's best checkpoint for audio-text is missing: .* \(a partial copy of its folder\?\)$/);
  }, 120_000);

  it('a cancelled run of two pairs resumes to the same checkpoints as an uninterrupted one', async () => {
    const { dir, c } = await catalogWithTwoPairs();
    const straight = await trainConnector(c, { pairs: PAIRS, preset: 'laptop', runsDir: path.join(dir, 'runs'), overrides: SETTINGS, threads: 1 });
    const abort = new AbortController();
    const first = await trainConnector(c, { pairs: PAIRS, preset: 'laptop', runsDir: path.join(dir, 'runs'), overrides: SETTINGS, threads: 1 }, (e) => {
      if (e.type === 'recall' && e.step === 300) abort.abort();
    }, abort.signal);
    expect(c.runs.get(first.runId)!.status).toBe('cancelled');
    await resumeConnector(c, first.runId, () => {}, undefined, { threads: 1 });
    const [a, b] = [runConfig(c, straight.runId).dir, runConfig(c, first.runId).dir];
    for (const f of [BEST_FILE, pairBestFile('image-text'), pairBestFile('audio-text')]) {
      expect(readCheckpoint(path.join(b, f)).step).toBe(readCheckpoint(path.join(a, f)).step);
      expect(sameParams(readCheckpoint(path.join(b, f)).params, readCheckpoint(path.join(a, f)).params)).toBe(true);
    }
  }, 120_000);

  it('the default (auto) run serves each pair from the trial best on its own val queries, and says so', async () => {
    const { c } = await catalogWithTwoPairs();
    c.close();
    const out: string[] = [];
    const err = { write: (t: string) => (out.push(t), true) } as unknown as NodeJS.WriteStream;
    expect(await runCli(['train', '--pairs', 'image:text,audio:text', '--trials', '3', '--seed', '2', '--steps', '300', '--eval-every', '100', '--batch', '64', '--threads', '1', '--budget', '600', '--catalog', c.file], { out: (t: string) => out.push(t), err })).toBe(0);
    const printed = out.join('\n');
    const cat = Catalog.open(c.file, { create: false });
    const config = runConfig(cat, 1);
    const trials: number[] = [];
    const kept = cat.metrics.forRun(1).find((m) => m.split === metricSplit.val() && m.name === 'chosen_trial')!.value;
    for (const key of ['image-text', 'audio-text']) {
      const perTrial = [1, 2, 3].map((t) => bestRecorded(cat, 1, metricSplit.valPair(key, t)).score);
      const trial = perTrial.indexOf(Math.max(...perTrial)) + 1;
      trials.push(trial);
      expect(cat.metrics.forRun(1).find((m) => m.split === metricSplit.served(key) && m.name === 'trial')!.value).toBe(trial);
      const fromTrial = fs.readFileSync(path.join(config.dir, `trial-${trial}`, pairBestFile(key)));
      expect(fs.readFileSync(path.join(config.dir, pairBestFile(key))).equals(fromTrial)).toBe(true);
      const line = printed.split('\n').find((l) => l.startsWith(`${key} serves `))!;
      expect(line.includes(`(trial ${trial}'s checkpoint): val score`)).toBe(trial !== kept);
      expect(printed).toMatch(new RegExp(`(^|; )${key}: training (beat|tied with|did not beat) the best baseline`, 'm'));
    }
    // With this seed the pairs' best trials differ (image-text's is the one kept), so both paths ran.
    expect(trials[0]).toBe(kept);
    expect(trials[1]).not.toBe(kept);
    expect(printed).toMatch(new RegExp(`^auto: kept trial ${kept} \\(.*\\); audio-text from trial ${trials[1]}$`, 'm'));
    cat.close();
  }, 180_000);
});
