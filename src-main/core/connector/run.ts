// Connector runs over the catalog: train the Alt-MoE connector on stored vectors with the
// alternating schedule, validate by retrieval recall every N steps with early stopping, keep the
// best checkpoint, evaluate the test split beside the training-free baselines, and record it all in
// the catalog so runs can be resumed, compared and deleted.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Modality, Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { altMoeModel, directionName, normParams, type AltMoeConfig } from '../model/altmoe.ts';
import { columnStats, evaluateBaselines, evaluateConnector } from '../model/evaluate.ts';
import { PRESETS, type Preset } from '../model/presets.ts';
import type { CrossModalResult } from '../model/retrieval.ts';
import type { OptimizerConfig } from '../onnx/optim.ts';
import type { Provider } from '../onnx/runtime.ts';
import { startTraining } from '../train/runner.ts';
import type { Dataset } from '../train/data.ts';
import { CHECKPOINT_FILE, readCheckpoint, type TrainEvent, type TrainJob } from '../train/trainer.ts';
import { ConnectorDataError, loadPairData, trainingRows, type PairData } from './pair-data.ts';

export interface RunConfig {
  preset: string;
  model: AltMoeConfig;
  optimizer: OptimizerConfig;
  steps: number;
  batchSize: number;
  evalEvery: number;
  patience: number;
  seed: number;
  pairs: [Modality, Modality][];
  encoders: Partial<Record<Modality, { name: string; hash: string }>>;
  datasets: string[] | null;
  dir: string;
}

export interface ConnectorRunOptions {
  name?: string;
  pairs: [Modality, Modality][];
  encoders?: Partial<Record<Modality, string>>;
  datasets?: string[];
  preset?: keyof typeof PRESETS;
  /** Any model field, plus the training settings. */
  overrides?: Partial<Omit<AltMoeConfig, 'kind' | 'modalities' | 'pairs'>> & Partial<Pick<Preset, 'steps' | 'batchSize' | 'evalEvery' | 'patience'>> & { lr?: number };
  /** Folder that holds one sub-folder per run. */
  runsDir: string;
  seed?: number;
  threads?: number;
  provider?: Provider;
}

export type RunEvent = TrainEvent | { type: 'recall'; step: number; pair: string; split: Split; result: CrossModalResult; best: boolean };

export interface RunSummary {
  runId: number;
  bestStep: number;
  bestValRsum: number;
  stoppedEarly: boolean;
  test: Record<string, { connector: CrossModalResult; ridge: CrossModalResult; neighbours: CrossModalResult; cca: CrossModalResult | null }>;
}

export const BEST_FILE = 'best.safetensors';

/** Creates a run in the catalog from a preset and overrides, then trains it. */
export async function trainConnector(catalog: Catalog, opts: ConnectorRunOptions, onEvent: (e: RunEvent) => void = () => {}, signal?: AbortSignal): Promise<RunSummary> {
  const preset = PRESETS[opts.preset ?? 'laptop'];
  if (!preset) throw new Error(`unknown preset "${opts.preset}" (laptop or paper)`);
  const o = opts.overrides ?? {};
  const data = opts.pairs.map(([a, b]) => loadPairData(catalog, { a, b, encoders: opts.encoders ?? {}, datasets: opts.datasets }));
  const modalities: Record<string, number> = {};
  const encoders: RunConfig['encoders'] = {};
  for (const d of data) {
    modalities[d.a] = d.aDim;
    modalities[d.b] = d.bDim;
    encoders[d.a] = d.encoders.a;
    encoders[d.b] = d.encoders.b;
  }
  const { steps = preset.steps, batchSize = preset.batchSize, evalEvery = preset.evalEvery, patience = preset.patience, lr, ...modelOver } = o;
  const model: AltMoeConfig = { kind: 'altmoe', modalities, pairs: opts.pairs, ...preset.model, ...modelOver };
  altMoeModel(model); // validate before anything is written
  const optimizer: OptimizerConfig = { ...preset.optimizer, lr: lr ?? preset.optimizer.lr, schedule: preset.optimizer.schedule && { ...preset.optimizer.schedule, totalSteps: steps, warmupSteps: Math.min(preset.optimizer.schedule.warmupSteps, Math.floor(steps / 10)) } };
  const now = Date.now();
  const name = opts.name ?? `${opts.pairs.map((p) => p.join('-')).join('+')} ${opts.preset ?? 'laptop'}`;
  // The run folder is named after the run id: create the row and record its config in one transaction.
  const { runId, config } = catalog.write(() => {
    const id = catalog.runs.create(name, {}, now);
    const c: RunConfig = { preset: opts.preset ?? 'laptop', model, optimizer, steps, batchSize, evalEvery, patience, seed: opts.seed ?? 1, pairs: opts.pairs, encoders, datasets: opts.datasets ?? null, dir: path.resolve(opts.runsDir, `run-${id}`) };
    catalog.runs.setConfig(id, c, now);
    return { runId: id, config: c };
  });
  return runLoop(catalog, runId, config, data, { threads: opts.threads, provider: opts.provider }, onEvent, signal);
}

/** Continues a run that was cancelled or interrupted, from its last checkpoint. */
export async function resumeConnector(catalog: Catalog, runId: number, onEvent: (e: RunEvent) => void = () => {}, signal?: AbortSignal, exec: { threads?: number; provider?: Provider } = {}): Promise<RunSummary> {
  const config = runConfig(catalog, runId);
  const data = config.pairs.map(([a, b]) => loadPairData(catalog, { a, b, encoders: Object.fromEntries(Object.entries(config.encoders).map(([m, e]) => [m, e!.name])), datasets: config.datasets ?? undefined }));
  for (const d of data) {
    if (d.encoders.a.hash !== config.encoders[d.a]?.hash || d.encoders.b.hash !== config.encoders[d.b]?.hash) {
      throw new Error(`run ${runId} was trained on vectors of another encoder model; start a new run`);
    }
  }
  return runLoop(catalog, runId, config, data, exec, onEvent, signal);
}

/** Deletes a run from the catalog (checkpoints and metrics go with it) and its folder; returns the folder. */
export function deleteRun(catalog: Catalog, runId: number): string | null {
  const run = catalog.runs.get(runId);
  if (!run) throw new ConnectorDataError(`no run ${runId}`);
  if (run.status === 'running') throw new ConnectorDataError(`run ${runId} is running; cancel it first`);
  const dir = (JSON.parse(run.config) as Partial<RunConfig>).dir ?? null;
  catalog.write(() => catalog.runs.delete(runId));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

export function runConfig(catalog: Catalog, runId: number): RunConfig {
  const run = catalog.runs.get(runId);
  if (!run) throw new Error(`no run ${runId}`);
  return JSON.parse(run.config) as RunConfig;
}

function standardisation(config: RunConfig, data: PairData[]): Record<string, Float32Array> {
  const values: Record<string, Float32Array> = {};
  for (const d of data) {
    const rows = trainingRows(d.splits.train, d.aDim);
    for (const [m, x, dim] of [[d.a, d.splits.train.aVecs, d.aDim], [d.b, rows.b, d.bDim]] as const) {
      const [mean, invstd] = normParams(m);
      if (values[mean]) continue;
      const s = columnStats(x, dim);
      values[mean] = s.mean;
      values[invstd] = s.invstd;
    }
  }
  return values;
}

async function runLoop(catalog: Catalog, runId: number, config: RunConfig, data: PairData[], exec: { threads?: number; provider?: Provider }, onEvent: (e: RunEvent) => void, signal?: AbortSignal): Promise<RunSummary> {
  const spec = altMoeModel(config.model);
  fs.mkdirSync(config.dir, { recursive: true });
  const train: Record<string, Dataset> = {};
  for (const task of spec.tasks) {
    const mods = task.inputs.map((i) => i.name);
    const d = data.find((p) => mods.includes(p.a) && mods.includes(p.b))!;
    const rows = trainingRows(d.splits.train, d.aDim);
    const n = d.splits.train.owner.length;
    train[task.name] = { [d.a]: { dtype: 'float32', shape: [n, d.aDim], data: rows.a }, [d.b]: { dtype: 'float32', shape: [n, d.bDim], data: rows.b } };
  }
  const job: TrainJob = {
    dir: config.dir,
    model: { ...config.model },
    optimizer: config.optimizer,
    steps: 0,
    batchSize: config.batchSize,
    seed: config.seed,
    threads: exec.threads,
    provider: exec.provider,
    checkpointEvery: config.evalEvery,
    resume: true,
    initialValues: standardisation(config, data),
  };
  const recorded = catalog.metrics.forRun(runId).filter((m) => m.split === 'val' && m.name === 'rsum');
  let best = recorded.reduce((b, m) => (m.value > b.rsum ? { step: m.step, rsum: m.value } : b), { step: 0, rsum: -1 });
  let sinceBest = recorded.filter((m) => m.step > best.step).length;
  let step = fs.existsSync(path.join(config.dir, CHECKPOINT_FILE)) ? readCheckpoint(path.join(config.dir, CHECKPOINT_FILE)).step : 0;
  let stoppedEarly = false;
  catalog.write(() => catalog.runs.setStatus(runId, 'running', Date.now()));
  try {
    while (step < config.steps) {
      if (signal?.aborted) break;
      const target = Math.min(config.steps, step + config.evalEvery);
      const handle = startTraining({ ...job, steps: target }, { train }, onEvent);
      const onAbort = (): void => handle.cancel();
      signal?.addEventListener('abort', onAbort);
      try {
        step = (await handle.done).step;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      if (step < target) break; // cancelled mid-chunk: its checkpoint is saved
      // Validation recall, summed over every pair, decides the best checkpoint.
      const values = readCheckpoint(path.join(config.dir, CHECKPOINT_FILE)).params;
      let rsum = 0;
      const perPair: [string, CrossModalResult][] = [];
      for (const d of data) {
        if (d.splits.val.owner.length === 0) continue;
        const r = await evaluateConnector(spec, values, { a: d.a, b: d.b, aVecs: d.splits.val.aVecs, bVecs: d.splits.val.bVecs, owner: d.splits.val.owner });
        rsum += r.rsum;
        perPair.push([`${d.a}-${d.b}`, r]);
      }
      const improved = rsum > best.rsum;
      catalog.write(() => {
        catalog.metrics.record(runId, step, 'val', { rsum });
        for (const [pair, r] of perPair) catalog.metrics.record(runId, step, `val.${pair}`, flatten(r));
        if (improved) {
          fs.copyFileSync(path.join(config.dir, CHECKPOINT_FILE), path.join(config.dir, BEST_FILE));
          catalog.checkpoints.save(runId, step, fileHash(path.join(config.dir, BEST_FILE)), { path: path.join(config.dir, BEST_FILE) }, { rsum }, Date.now());
        }
      });
      for (const [pair, r] of perPair) onEvent({ type: 'recall', step, pair, split: 'val', result: r, best: improved });
      if (improved) {
        best = { step, rsum };
        sinceBest = 0;
      } else if (++sinceBest >= config.patience) {
        stoppedEarly = true;
        break;
      }
    }
  } catch (err) {
    catalog.write(() => catalog.runs.setStatus(runId, 'failed', Date.now()));
    throw err;
  }
  if (step < config.steps && !stoppedEarly) {
    catalog.write(() => catalog.runs.setStatus(runId, 'cancelled', Date.now()));
    return { runId, bestStep: best.step, bestValRsum: best.rsum, stoppedEarly, test: {} };
  }
  const test = await evaluateTest(catalog, runId, config, data);
  catalog.write(() => catalog.runs.setStatus(runId, 'done', Date.now()));
  return { runId, bestStep: best.step, bestValRsum: best.rsum, stoppedEarly, test };
}

/** The best checkpoint's parameters (the last one when no validation ever ran). */
export function runParams(config: RunConfig): Map<string, Float32Array | Float64Array> {
  const bestFile = path.join(config.dir, BEST_FILE);
  return readCheckpoint(fs.existsSync(bestFile) ? bestFile : path.join(config.dir, CHECKPOINT_FILE)).params;
}

async function evaluateTest(catalog: Catalog, runId: number, config: RunConfig, data: PairData[]): Promise<RunSummary['test']> {
  const spec = altMoeModel(config.model);
  const values = runParams(config);
  const out: RunSummary['test'] = {};
  for (const d of data) {
    // Test split when the data has one, else validation: the baselines always see the same split.
    const split: Split = d.splits.test.owner.length > 0 ? 'test' : 'val';
    const s = d.splits[split];
    if (s.owner.length === 0) continue;
    const set = { a: d.a, b: d.b, aVecs: s.aVecs, bVecs: s.bVecs, owner: s.owner };
    const connector = await evaluateConnector(spec, values, set);
    const rows = trainingRows(d.splits.train, d.aDim);
    const base = await evaluateBaselines({ a: rows.a, b: rows.b }, set, { a: d.aDim, b: d.bDim });
    const pair = `${d.a}-${d.b}`;
    out[pair] = { connector, ridge: base.ridge, neighbours: base.neighbours, cca: base.cca };
    catalog.write(() => {
      catalog.metrics.record(runId, 0, `${split}.${pair}`, flatten(connector));
      catalog.metrics.record(runId, 0, `${split}.${pair}.baseline.ridge`, flatten(base.ridge));
      catalog.metrics.record(runId, 0, `${split}.${pair}.baseline.neighbours`, flatten(base.neighbours));
      if (base.cca) catalog.metrics.record(runId, 0, `${split}.${pair}.baseline.cca`, flatten(base.cca));
    });
  }
  return out;
}

export function flatten(r: CrossModalResult): Record<string, number> {
  return {
    fwd_r1: r.forward.r1,
    fwd_r5: r.forward.r5,
    fwd_r10: r.forward.r10,
    fwd_map10: r.forward.map10,
    bwd_r1: r.backward.r1,
    bwd_r5: r.backward.r5,
    bwd_r10: r.backward.r10,
    bwd_map10: r.backward.map10,
    rsum: r.rsum,
  };
}

function fileHash(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export { directionName };
