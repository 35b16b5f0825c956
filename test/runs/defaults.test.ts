// The default run as users get it, on every entry path: options not given must leave the preset's
// values in place (an `undefined` spread over the preset once turned the default run into an MLP
// with the joint schedule, and every ablation compared nothing).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/core/cli/main.ts';
import { connectorInWorker } from '../../src-main/core/runs/connector-runner.ts';
import { evaluateRun } from '../../src-main/core/runs/evaluate-run.ts';
import { exportConnector } from '../../src-main/core/runs/export.ts';
import { trainConnector } from '../../src-main/core/runs/run.ts';
import { planRun } from '../../src-main/core/runs/plan.ts';
import { runConfig, type ConnectorRunOptions, type RunConfig } from '../../src-main/core/runs/config.ts';
import { altMoeModel } from '../../src-main/core/model/altmoe.ts';
import { AUTO, PRESETS } from '../../src-main/core/model/presets.ts';
import { LIMITS } from '../../src-shared/schemas.ts';
import { crossModalRecall } from '../../src-main/core/model/retrieval.ts';
import { createSession, tensor } from '../../src-main/core/onnx/runtime.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { catalogWithVectors, DIMS, SMALL } from './fixtures.ts';

const MODALITIES = { image: DIMS.image, text: DIMS.text };

/** What the stored model must be: the preset's model plus exactly the given model fields. */
function expectedModel(preset: 'laptop' | 'paper' | 'auto', over: Record<string, unknown> = {}) {
  const base = PRESETS[preset === 'auto' ? 'laptop' : preset].model;
  return { kind: 'altmoe', modalities: MODALITIES, pairs: [['image', 'text']], ...base, ...over };
}

const parameterCount = (model: RunConfig['model']): number => altMoeModel(model).params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);

function cliIo() {
  const out: string[] = [];
  const err = { write: (s: string) => (out.push(s), true) } as unknown as NodeJS.WriteStream;
  return { out, io: { out: (t: string) => out.push(t), err } };
}

describe('the default run is Alt-MoE on every path', () => {
  it('library: each preset plus exactly the given overrides, whatever undefined keys come along', async () => {
    const { dir, c } = await catalogWithVectors();
    const cases: [ConnectorRunOptions['overrides'], Record<string, unknown>][] = [
      [undefined, {}],
      [{ connector: undefined, schedule: undefined, loss: undefined, steps: undefined, lr: undefined }, {}],
      [{ connector: 'mlp', schedule: undefined }, { connector: 'mlp' }],
      [{ schedule: 'joint', loss: undefined }, { schedule: 'joint' }],
      [{ loss: 'pred', connector: undefined }, { loss: 'pred' }],
      [{ dropout: 0.2, temperature: undefined }, { dropout: 0.2 }],
    ];
    for (const preset of ['laptop', 'paper', 'auto'] as const) {
      for (const [overrides, model] of cases) {
        const { config } = planRun(c, { pairs: [['image', 'text']], preset, runsDir: path.join(dir, 'runs'), ...(overrides ? { overrides } : {}) });
        expect(config.model, `${preset} ${JSON.stringify(overrides)}`).toEqual(expectedModel(preset, model));
        const p = PRESETS[preset === 'auto' ? 'laptop' : preset];
        expect(config).toMatchObject({ preset, steps: p.steps, batchSize: p.batchSize, evalEvery: preset === 'auto' ? AUTO.evalEvery : p.evalEvery, seed: 1 });
        expect(config.optimizer.lr).toBe(p.optimizer.lr);
      }
    }
    // No preset named: auto.
    expect(planRun(c, { pairs: [['image', 'text']], runsDir: dir }).config).toMatchObject({ preset: 'auto', auto: { budgetSeconds: AUTO.budgetSeconds, trials: AUTO.trials } });
    // --trials N keeps the first N settings, in auto's order; the schema's limit is auto's count.
    expect(planRun(c, { pairs: [['image', 'text']], runsDir: dir, trials: 2 }).config.auto?.trials).toEqual(AUTO.trials.slice(0, 2));
    expect(LIMITS.autoTrials).toBe(AUTO.trials.length);
    expect(fs.existsSync(path.join(dir, 'runs'))).toBe(false);
    expect(c.runs.list()).toHaveLength(0);
  });

  it('CLI defaults: the stored run is the MoE with the alternating schedule and both losses, with its parameter count and tasks', async () => {
    const { c } = await catalogWithVectors();
    c.close();
    const { out, io } = cliIo();
    expect(await runCli(['train', '--pairs', 'image:text', '--preset', 'laptop', '--steps', '20', '--eval-every', '20', '--threads', '1', '--catalog', c.file], io)).toBe(0);
    let catalog = (await import('../../src-main/core/catalog/catalog.ts')).Catalog.open(c.file, { create: false });
    const laptop = runConfig(catalog, 1);
    expect(laptop.model).toEqual(expectedModel('laptop'));
    expect(laptop.steps).toBe(20);
    expect(out.join('')).toContain(`${parameterCount(laptop.model).toLocaleString('en-US')} parameters`);
    expect(altMoeModel(laptop.model).tasks.map((t) => t.name)).toEqual(['image->text', 'text->image']);
    expect(altMoeModel(laptop.model).params.some((p) => p.name.endsWith('.router'))).toBe(true);
    catalog.close();
    // No --preset at all: auto, whose every trial is that same model.
    expect(await runCli(['train', '--pairs', 'image:text', '--steps', '20', '--budget', '1', '--threads', '1', '--seed', '7', '--catalog', c.file], io)).toBe(0);
    catalog = (await import('../../src-main/core/catalog/catalog.ts')).Catalog.open(c.file, { create: false });
    const auto = runConfig(catalog, 2);
    // No --unpaired either: auto (unpaired items may join QB-Norm's bank).
    expect(auto).toMatchObject({ preset: 'auto', seed: 7, steps: 20, unpaired: 'auto' });
    expect({ ...auto.model, dropout: 0 }).toEqual({ ...expectedModel('auto'), dropout: 0 });
    expect(AUTO.trials.map((t) => t.dropout)).toContain(auto.model.dropout);
    expect(auto.served?.['image-text']).toBeDefined();
    // 30 val items, fewer than FEW_VAL_ITEMS: the served members weigh 1 or 0, and the summary says why.
    expect(Object.values(auto.served!['image-text']!.weights).every((w) => w === 0 || w === 1)).toBe(true);
    expect(out.join('')).toContain('; weights by equal weights (too few val items to fit weights on)');
    catalog.close();
  }, 180_000);

  it('service and worker: a request without the switches stores the preset, with them exactly those', async () => {
    const { c } = await catalogWithVectors();
    const service = new EngineService(c, { version: 't', mode: 'server', threads: 1 });
    const done = new Set<string>();
    service.on((event, payload) => {
      const p = payload as { jobId: string; status?: string };
      if (event === 'job:update' && ['done', 'failed', 'cancelled'].includes(p.status ?? '')) done.add(p.jobId);
    });
    const wait = async (id: string) => {
      for (let i = 0; i < 1200 && !done.has(id); i++) await new Promise((r) => setTimeout(r, 100));
    };
    // What is stored is the point, not what is learnt: each job is stopped once its run exists.
    const startStored = async (request: Parameters<EngineService['handle']>[1]): Promise<void> => {
      const runs = c.runs.list().length;
      const { jobId } = await service.handle('train:start', request as never);
      for (let i = 0; i < 1200 && !done.has(jobId) && c.runs.list().length === runs; i++) await new Promise((r) => setTimeout(r, 50));
      await service.handle('jobs:cancel', { jobId });
      await wait(jobId);
    };
    await startStored({ pairs: [['image', 'text']], preset: 'laptop', steps: 10, evalEvery: 10 });
    await startStored({ pairs: [['image', 'text']], preset: 'laptop', steps: 10, evalEvery: 10, schedule: 'joint' });
    await service.close();
    expect(runConfig(c, 1).model).toEqual(expectedModel('laptop'));
    expect(runConfig(c, 2).model).toEqual(expectedModel('laptop', { schedule: 'joint' }));
    // A worker message carries undefined keys as they are (structured clone keeps them).
    const runsDir = path.join(path.dirname(c.file), 'wruns');
    const stop = new AbortController();
    await connectorInWorker(c.file, { kind: 'train', options: { pairs: [['image', 'text']], preset: 'laptop', runsDir, threads: 1, overrides: { steps: 10, evalEvery: 10, connector: undefined, schedule: undefined, loss: undefined } } }, (e) => e.type === 'created' && stop.abort(), stop.signal).catch(() => undefined);
    expect(runConfig(c, 3).model).toEqual(expectedModel('laptop'));
  }, 180_000);

  it('each ablation switch changes only what it names', async () => {
    const { dir, c } = await catalogWithVectors();
    const plan = (overrides: ConnectorRunOptions['overrides']) => planRun(c, { pairs: [['image', 'text']], preset: 'laptop', runsDir: dir, ...(overrides ? { overrides } : {}) }).config;
    const base = plan(undefined);
    for (const [key, value] of [['connector', 'mlp'], ['schedule', 'joint'], ['loss', 'cl'], ['loss', 'pred']] as const) {
      const changed = plan({ [key]: value });
      const differs = Object.keys(base.model).filter((k) => JSON.stringify((base.model as unknown as Record<string, unknown>)[k]) !== JSON.stringify((changed.model as unknown as Record<string, unknown>)[k]));
      expect(differs, `${key}=${value}`).toEqual([key]);
      expect({ ...changed, model: base.model }).toEqual(base);
    }
    expect(altMoeModel(plan({ schedule: 'joint' }).model).tasks.map((t) => t.name)).toEqual(['image<->text']);
    expect(altMoeModel(plan({ connector: 'mlp' }).model).params.some((p) => p.name.endsWith('.router'))).toBe(false);
  });

  it('bad requests fail with one clear line before anything is written', async () => {
    const { dir, c } = await catalogWithVectors();
    const runsDir = path.join(dir, 'runs');
    const base: ConnectorRunOptions = { pairs: [['image', 'text']], runsDir };
    const bad: [Partial<ConnectorRunOptions>, RegExp][] = [
      [{ budgetSeconds: 0 }, /time budget must be a number of seconds above 0/],
      [{ budgetSeconds: Number.NaN }, /time budget/],
      [{ seed: 1.5 }, /seed must be a whole number/],
      [{ seed: -1 }, /seed must be a whole number/],
      [{ trainPairs: 3 }, /fewer than one media item's captions/],

      [{ preset: 'laptop', budgetSeconds: 10 }, /budget goes with the auto preset/],
      [{ trials: 0 }, /number of trials must be a whole number from 1 to 5/],
      [{ trials: 2.5 }, /number of trials must be a whole number/],
      [{ preset: 'laptop', trials: 2 }, /trials goes with the auto preset/],
      [{ preset: 'huge' as never }, /unknown preset "huge"/],
    ];
    for (const [opts, message] of bad) await expect(trainConnector(c, { ...base, ...opts }), JSON.stringify(opts)).rejects.toThrow(message);
    expect(c.runs.list()).toHaveLength(0);
    expect(fs.existsSync(runsDir)).toBe(false);
    c.close();
    const { out, io } = cliIo();
    for (const args of [['--seed', '1.5'], ['--seed', 'x'], ['--budget', '0'], ['--budget', 'NaN'], ['--lr', 'NaN'], ['--lr', 'Infinity']]) {
      out.length = 0;
      expect(await runCli(['train', '--pairs', 'image:text', ...args, '--catalog', c.file], io), args.join(' ')).toBe(2);
      expect(out.join('').trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('the exported query and gallery graphs reproduce the evaluation exactly, for a connector run and an auto ensemble', async () => {
    const { dir, c } = await catalogWithVectors();
    const laptop = await trainConnector(c, { pairs: [['image', 'text']], preset: 'laptop', runsDir: path.join(dir, 'runs'), overrides: SMALL, threads: 1 });
    const auto = await trainConnector(c, { pairs: [['image', 'text']], runsDir: path.join(dir, 'runs'), overrides: { ...SMALL, steps: 200 }, budgetSeconds: 1, threads: 1 });
    expect(runConfig(c, auto.runId).served?.['image-text']).toBeDefined();
    for (const runId of [laptop.runId, auto.runId]) {
      const ev = (await evaluateRun(c, runId, 'test')).pairs[0]!;
      const out = path.join(dir, `export-${runId}`);
      exportConnector(c, runId, out);
      const test = (await (await import('../../src-main/core/runs/plan.ts')).runData(c, runConfig(c, runId)))[0]!.splits.test;
      const run = async (file: string, input: string, x: Float32Array, d: number) => {
        const s = await createSession(fs.readFileSync(path.join(out, file)));
        const r = await s.run({ [input]: tensor('float32', [x.length / d, d], x) });
        await s.release();
        return { data: r[file.startsWith('query') ? 'query' : 'gallery']!.data as Float32Array, dim: r[file.startsWith('query') ? 'query' : 'gallery']!.dims[1] as number };
      };
      const qa = await run('query.image-to-text.onnx', 'image', test.aVecs, DIMS.image);
      const gb = await run('gallery.image-to-text.onnx', 'text', test.bVecs, DIMS.text);
      const qb = await run('query.text-to-image.onnx', 'text', test.bVecs, DIMS.text);
      const ga = await run('gallery.text-to-image.onnx', 'image', test.aVecs, DIMS.image);
      const r = await crossModalRecall({ mediaQueries: qa.data, captionGallery: gb.data, captionDim: gb.dim, captionQueries: qb.data, mediaGallery: ga.data, mediaDim: ga.dim, owner: test.owner });
      expect(r.rsum, `run ${runId}`).toBeCloseTo(ev.connector.rsum, 9);
      expect(r.forward.map10).toBeCloseTo(ev.connector.forward.map10, 9);
    }
  }, 180_000);
});

describe('auto runs resume', () => {
  it('a run cancelled during its first trial resumes, finishes its trials and serves its ensemble', async () => {
    const { dir, c } = await catalogWithVectors();
    const abort = new AbortController();
    const opts: ConnectorRunOptions = { pairs: [['image', 'text']], runsDir: path.join(dir, 'runs'), overrides: { ...SMALL, steps: 200 }, budgetSeconds: 10, threads: 1 };
    const first = await trainConnector(c, opts, (e) => e.type === 'recall' && abort.abort(), abort.signal);
    expect(c.runs.get(first.runId)!.status).toBe('cancelled');
    expect(runConfig(c, first.runId).served ?? null).toBeNull();
    const trials: number[] = [];
    const { resumeConnector } = await import('../../src-main/core/runs/run.ts');
    const done = await resumeConnector(c, first.runId, (e) => e.type === 'trial' && trials.push(e.index), undefined, { threads: 1 });
    expect(c.runs.get(first.runId)!.status).toBe('done');
    // Trial 1 went on from its checkpoint; the later ones ran within the budget left.
    expect(trials[0]).toBe(1);
    expect(done.auto?.pairs['image-text']?.valScore).toBeGreaterThan(0);
    expect(runConfig(c, first.runId).served?.['image-text']).toBeDefined();
  }, 180_000);
});
