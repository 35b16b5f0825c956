// Connector runs over the catalog: train the Alt-MoE connector on stored vectors with the
// alternating schedule, validate by retrieval recall every N steps with early stopping, keep the
// best checkpoint, evaluate the test split beside the training-free baselines, and record it all in
// the catalog so runs can be resumed, compared and deleted.
import { checkTrainingMemory } from './memory.ts';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Modality, Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { altMoeModel, directionName, normParams, type AltMoeConfig } from '../model/altmoe.ts';
import { columnStats, evaluateBaselines, evaluateConnector, type BaselineResults } from '../model/evaluate.ts';
import { CONNECTOR_ONLY, ensembleValues, type EnsembleConfig } from '../model/ensemble.ts';
import { evaluateServed, type Served } from '../model/served.ts';
import { readSafetensors } from '../train/safetensors.ts';
import type { AutoPlan } from '../model/presets.ts';
import { runAuto, type AutoReport } from './auto.ts';
import { AUTO, PRESET_NAMES, presetBase, type Preset, type PresetName } from '../model/presets.ts';
import { microScore } from '../model/baselines/recall.ts';
import type { CrossModalResult } from '../model/retrieval.ts';
import type { OptimizerConfig } from '../onnx/optim.ts';
import type { Provider } from '../onnx/runtime.ts';
import { startTraining } from '../train/runner.ts';
import type { Dataset } from '../train/data.ts';
import { CHECKPOINT_FILE, readCheckpoint, type TrainEvent, type TrainJob } from '../train/trainer.ts';
import { definedOnly } from '../../../src-shared/objects.ts';
import { DUPLICATE_POLICIES, straddleWarning, type DuplicatePolicy } from '../duplicates/straddle.ts';
import { withDuplicatePolicy } from '../duplicates/apply.ts';
import { ConnectorDataError, limitTraining, loadPairData, requireSplits, trainingRows, type PairData } from './pair-data.ts';

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
  /** At most this many training pairs (a subset drawn with the seed), or null for all. */
  trainPairs?: number | null;
  /** The auto preset's plan (absent for fixed presets). */
  auto?: AutoPlan | null;
  /** What was done about duplicates across splits (absent in older runs: warn). */
  duplicates?: DuplicatePolicy;
  /** Per pair ("a-b"), the ensemble the run serves (absent: the connector alone); arrays in ENSEMBLE_FILE. */
  served?: Record<string, EnsembleConfig> | null;
  dir: string;
}

export const ENSEMBLE_FILE = 'ensemble.safetensors';

/** What a run serves for the pair of modalities s and t (either order). */
export function servedFor(config: RunConfig, values: Map<string, Float32Array | Float64Array>, s: string, t: string): Served {
  const spec = altMoeModel(config.model);
  const pair = config.pairs.find(([a, b]) => (a === s && b === t) || (a === t && b === s));
  if (!pair) throw new ConnectorDataError(`the run was not trained for ${s} and ${t}`);
  const key = pair.join('-');
  const ensemble = config.served?.[key];
  if (!ensemble) return { spec, values, ensemble: { a: pair[0], b: pair[1], ...CONNECTOR_ONLY, knn: { a2b: { k: 1, temperature: 0 }, b2a: { k: 1, temperature: 0 } }, asif: { k: 1, power: 1 }, ccaDim: 0, anchors: 0 } };
  const file = path.join(config.dir, ENSEMBLE_FILE);
  if (!fs.existsSync(file)) throw missingRunFiles(config.dir);
  const stored = readSafetensors(file).tensors;
  const own = Object.fromEntries(Object.entries(stored).filter(([n]) => n.startsWith(`${key}/`)).map(([n, t]) => [n.slice(key.length + 1), t.data as Float32Array]));
  return { spec, values: new Map([...values, ...ensembleValues(own)]), ensemble };
}

export interface ConnectorRunOptions {
  name?: string;
  pairs: [Modality, Modality][];
  encoders?: Partial<Record<Modality, string>>;
  datasets?: string[];
  /** Default: auto. */
  preset?: PresetName;
  /** auto: seconds for the trials (default AUTO.budgetSeconds). */
  budgetSeconds?: number;
  /**
   * auto: try only the first N of its trial settings (default: all). With a budget the trials
   * cannot exhaust, the run no longer depends on the machine's speed: the same seed, the same model.
   */
  trials?: number;
  /** Any model field, plus the training settings. */
  overrides?: Partial<Omit<AltMoeConfig, 'kind' | 'modalities' | 'pairs'>> & Partial<Pick<Preset, 'steps' | 'batchSize' | 'evalEvery' | 'patience'>> & { lr?: number; weightDecay?: number };
  /** Folder that holds one sub-folder per run. */
  runsDir: string;
  seed?: number;
  /** Train on at most this many pairs (whole media items, drawn with the seed): learning curves. */
  trainPairs?: number;
  /** Media duplicates across train and val/test: warn (default), drop the training copies, or merge them into the held-out split. */
  duplicates?: DuplicatePolicy;
  threads?: number;
  provider?: Provider;
}

export type RunEvent =
  | TrainEvent
  | { type: 'recall'; step: number; pair: string; split: Split; result: CrossModalResult; best: boolean }
  /** auto: a trial starts (1-based index of `of`), with the best val score so far and the budget left. */
  | { type: 'trial'; index: number; of: number; settings: string; bestSoFar: number | null; secondsLeft: number }
  /** auto: the trial kept and, per pair, the ensemble weights chosen on val. */
  | { type: 'chosen'; trial: number; settings: string; pairs: AutoReport['pairs'] };

export interface RunSummary {
  runId: number;
  bestStep: number;
  /** Best validation micro-score: mean R@1/5/10 over every val query of every pair, in percent. */
  bestValScore: number;
  stoppedEarly: boolean;
  test: Record<string, PairEvaluation>;
  /** auto runs: which trial won and what the run serves. */
  auto?: AutoReport;
}

/** One pair's evaluation: the connector beside every tuned baseline, on the same split. */
export interface PairEvaluation {
  split: Split;
  /** Gallery sizes: media items and captions (chance R@K is K / gallery). */
  items: number;
  captions: number;
  connector: CrossModalResult;
  baselines: BaselineResults;
}

export const BEST_FILE = 'best.safetensors';

/**
 * Checks a run request completely and builds its configuration (everything but the folder) and
 * data, writing nothing: a bad request fails here, before any row or file exists.
 */
export function planRun(catalog: Catalog, opts: ConnectorRunOptions): { config: Omit<RunConfig, 'dir'>; data: PairData[] } {
  const presetName: PresetName = opts.preset ?? 'auto';
  if (!PRESET_NAMES.includes(presetName)) throw new ConnectorDataError(`unknown preset "${opts.preset}" (${PRESET_NAMES.join(', ')})`);
  const isAuto = presetName === 'auto';
  const budget = opts.budgetSeconds ?? AUTO.budgetSeconds;
  if (!Number.isFinite(budget) || budget <= 0) throw new ConnectorDataError(`the time budget must be a number of seconds above 0, not ${opts.budgetSeconds}`);
  if (opts.budgetSeconds !== undefined && !isAuto) throw new ConnectorDataError('a time budget goes with the auto preset');
  const trials = opts.trials ?? AUTO.trials.length;
  if (!Number.isInteger(trials) || trials < 1 || trials > AUTO.trials.length) throw new ConnectorDataError(`the number of trials must be a whole number from 1 to ${AUTO.trials.length}, not ${opts.trials}`);
  if (opts.trials !== undefined && !isAuto) throw new ConnectorDataError('a number of trials goes with the auto preset');
  // auto trains the laptop model with finer validation; its trials vary a few settings.
  const preset: Preset = presetBase(presetName);
  // Options not given must be absent, never undefined: a spread of undefined over the preset would
  // silently turn the default run into another model (it once made it an MLP with the joint schedule).
  const o = definedOnly(opts.overrides ?? {});
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0) throw new ConnectorDataError(`the seed must be a whole number >= 0, not ${opts.seed}`);
  if (opts.trainPairs !== undefined && (!Number.isInteger(opts.trainPairs) || opts.trainPairs < 1)) throw new ConnectorDataError(`the number of training pairs must be a whole number >= 1, not ${opts.trainPairs}`);
  const duplicates = opts.duplicates ?? 'warn';
  if (!DUPLICATE_POLICIES.includes(duplicates)) throw new ConnectorDataError(`unknown duplicates policy "${opts.duplicates}" (${DUPLICATE_POLICIES.join(', ')})`);
  const data = opts.pairs.map(([a, b]) => limitTraining(loadPairData(catalog, { a, b, encoders: opts.encoders ?? {}, datasets: opts.datasets }), opts.trainPairs, seed));
  for (const d of data) requireSplits(d);
  const modalities: Record<string, number> = {};
  const encoders: RunConfig['encoders'] = {};
  for (const d of data) {
    modalities[d.a] = d.aDim;
    modalities[d.b] = d.bDim;
    encoders[d.a] = d.encoders.a;
    encoders[d.b] = d.encoders.b;
  }
  const { steps = preset.steps, batchSize = preset.batchSize, evalEvery = preset.evalEvery, patience = preset.patience, lr, weightDecay, ...modelOver } = o;
  const model: AltMoeConfig = { kind: 'altmoe', modalities, pairs: opts.pairs, ...preset.model, ...modelOver };
  checkTrainingMemory(altMoeModel(model), model, batchSize); // validate before anything is written
  const optimizer: OptimizerConfig = { ...preset.optimizer, lr: lr ?? preset.optimizer.lr, ...(weightDecay !== undefined ? { weightDecay } : {}), schedule: preset.optimizer.schedule && { ...preset.optimizer.schedule, totalSteps: steps, warmupSteps: Math.min(preset.optimizer.schedule.warmupSteps, Math.floor(steps / 10)) } };
  const presetConfig = { preset: presetName, ...(isAuto ? { auto: { budgetSeconds: budget, trials: AUTO.trials.slice(0, trials) } } : {}) };
  return { config: { ...presetConfig, model, optimizer, steps, batchSize, evalEvery, patience, seed, pairs: opts.pairs, encoders, datasets: opts.datasets ?? null, trainPairs: opts.trainPairs ?? null, duplicates }, data };
}

/** Creates a run in the catalog from a preset and overrides, then trains it. */
export async function trainConnector(catalog: Catalog, opts: ConnectorRunOptions, onEvent: (e: RunEvent) => void = () => {}, signal?: AbortSignal): Promise<RunSummary> {
  const { config: planned, data: loaded } = planRun(catalog, opts);
  // Duplicates across splits are looked for here, in the job (a scan of every media vector), not
  // while the request is checked.
  const data = await Promise.all(loaded.map((d) => withDuplicatePolicy(catalog, d, planned.duplicates ?? 'warn')));
  for (const d of data) {
    if (d.skipped > 0) onEvent({ type: 'warning', message: `${d.skipped} ${d.a}-${d.b} pair(s) are left out: a side has no vector of the run's encoders yet (embed them first)` });
    const straddle = d.duplicates && straddleWarning(d.duplicates, `${d.a}-${d.b}`);
    if (straddle) onEvent({ type: 'warning', message: straddle });
  }
  const now = Date.now();
  const name = opts.name ?? `${opts.pairs.map((p) => p.join('-')).join('+')} ${planned.preset}`;
  // The run folder is named after the run id: create the row and record its config in one transaction.
  const { runId, config } = catalog.write(() => {
    const id = catalog.runs.create(name, {}, now);
    const c: RunConfig = { ...planned, dir: path.resolve(opts.runsDir, `run-${id}`) };
    saveRunConfig(catalog, id, c, now);
    return { runId: id, config: c };
  });
  const exec = { threads: opts.threads, provider: opts.provider };
  return config.auto ? runAuto(catalog, runId, config, data, exec, onEvent, signal) : runLoop(catalog, runId, config, data, exec, onEvent, signal);
}

/** Continues a run that was cancelled or interrupted, from its last checkpoint. */
export async function resumeConnector(catalog: Catalog, runId: number, onEvent: (e: RunEvent) => void = () => {}, signal?: AbortSignal, exec: { threads?: number; provider?: Provider } = {}): Promise<RunSummary> {
  const config = runConfig(catalog, runId);
  const data = await runData(catalog, config);
  for (const d of data) {
    if (d.encoders.a.hash !== config.encoders[d.a]?.hash || d.encoders.b.hash !== config.encoders[d.b]?.hash) {
      throw new ConnectorDataError(`run ${runId} was trained on vectors of another encoder model; start a new run`);
    }
  }
  return config.auto ? runAuto(catalog, runId, config, data, exec, onEvent, signal) : runLoop(catalog, runId, config, data, exec, onEvent, signal);
}

/**
 * Deletes a run from the catalog (checkpoints and metrics go with it) and its folder; returns the
 * folder. Only a folder that belongs to this catalog file is removed: one of its own runs folder,
 * or an explicit folder outside any catalog's runs folder. A copied catalog whose row points into
 * another catalog's runs folder (an absolute path written before paths were stored relative)
 * leaves those files alone.
 */
export function deleteRun(catalog: Catalog, runId: number): string | null {
  const run = catalog.runs.get(runId);
  if (!run) throw new ConnectorDataError(`no run ${runId}`);
  if (run.status === 'running') throw new ConnectorDataError(`run ${runId} is running; cancel it first`);
  const stored = (JSON.parse(run.config) as Partial<RunConfig>).dir;
  const dir = stored ? resolveRunDir(catalog, stored) : null;
  catalog.write(() => catalog.runs.delete(runId));
  if (!dir || !ownsRunDir(catalog, dir) || !fs.existsSync(dir)) return null;
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** The folder that holds a catalog's run folders by default: next to the file, named after it. */
export const runsFolderOf = (catalogFile: string): string => `${catalogFile}.runs`;

function ownsRunDir(catalog: Catalog, dir: string): boolean {
  const inside = (parent: string) => {
    const rel = path.relative(parent, dir);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  };
  if (inside(runsFolderOf(catalog.file))) return true;
  // Some other catalog's runs folder ("<file>.runs"): not ours to delete.
  return !dir.split(path.sep).some((part) => part.endsWith('.runs'));
}

/**
 * Run folders are stored relative to the catalog's own runs folder ("run-3"), so a catalog moved
 * or copied with that folder keeps working and a copy without it never reaches the original's files.
 * A folder elsewhere (an explicit runsDir) is stored as given.
 */
export function storedRunDir(catalog: Catalog, dir: string): string {
  const rel = path.relative(runsFolderOf(catalog.file), dir);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : dir;
}

export function resolveRunDir(catalog: Catalog, stored: string): string {
  return path.isAbsolute(stored) ? stored : path.resolve(runsFolderOf(catalog.file), stored);
}

/** Writes a run's config with its folder stored relative (see storedRunDir). */
export function saveRunConfig(catalog: Catalog, runId: number, config: RunConfig, now: number): void {
  catalog.runs.setConfig(runId, { ...config, dir: storedRunDir(catalog, config.dir) }, now);
}

/** A run row's config with its folder resolved for this catalog file. */
export function parseRunConfig(catalog: Catalog, json: string): RunConfig {
  const c = JSON.parse(json) as RunConfig;
  return { ...c, dir: resolveRunDir(catalog, c.dir) };
}

/** The pair data a run was trained on (the same training subset), from the catalog. */
export function runData(catalog: Catalog, config: RunConfig): Promise<PairData[]> {
  const encoders = Object.fromEntries(Object.entries(config.encoders).map(([m, e]) => [m, e!.name]));
  return Promise.all(
    config.pairs.map(([a, b]) => withDuplicatePolicy(catalog, limitTraining(loadPairData(catalog, { a, b, encoders, datasets: config.datasets ?? undefined }), config.trainPairs ?? undefined, config.seed), config.duplicates ?? 'warn')),
  );
}

export function runConfig(catalog: Catalog, runId: number): RunConfig {
  const run = catalog.runs.get(runId);
  if (!run) throw new ConnectorDataError(`no run ${runId} (see "altmoe list runs")`);
  return parseRunConfig(catalog, run.config);
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

/** Where a training loop records and how long it may go on. */
interface LoopOptions {
  /** Metric split of its validation rows: 'val' for a run, `trial<i>.val` for an auto trial. */
  valSplit: string;
  /** Wall-clock time (ms) after which no new chunk starts: the auto preset's budget. */
  deadline?: number;
}

type LoopOutcome = { completed: boolean; bestStep: number; bestValScore: number; stoppedEarly: boolean };

async function runLoop(catalog: Catalog, runId: number, config: RunConfig, data: PairData[], exec: { threads?: number; provider?: Provider }, onEvent: (e: RunEvent) => void, signal?: AbortSignal): Promise<RunSummary> {
  catalog.write(() => catalog.runs.setStatus(runId, 'running', Date.now()));
  const out = await trainLoop(catalog, runId, config, data, exec, onEvent, signal, { valSplit: 'val' });
  return finishRun(catalog, runId, config, data, out);
}

/** Records the run's final state: cancelled (resumable), or done with its test evaluation. */
export async function finishRun(catalog: Catalog, runId: number, config: RunConfig, data: PairData[], out: LoopOutcome): Promise<RunSummary> {
  const summary = { runId, bestStep: out.bestStep, bestValScore: out.bestValScore, stoppedEarly: out.stoppedEarly };
  if (!out.completed) {
    catalog.write(() => catalog.runs.setStatus(runId, 'cancelled', Date.now()));
    return { ...summary, test: {} };
  }
  const test = await evaluateTest(catalog, runId, config, data);
  catalog.write(() => catalog.runs.setStatus(runId, 'done', Date.now()));
  return { ...summary, test };
}

/**
 * Trains in chunks of evalEvery steps; after each, validation recall (micro-averaged over every
 * pair's queries) decides the best checkpoint, and `patience` chunks without a better one stop it.
 */
export async function trainLoop(catalog: Catalog, runId: number, config: RunConfig, data: PairData[], exec: { threads?: number; provider?: Provider }, onEvent: (e: RunEvent) => void, signal: AbortSignal | undefined, opts: LoopOptions): Promise<LoopOutcome> {
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
  const trainSplit = opts.valSplit.replace(/val$/, 'train');
  const recorded = catalog.metrics.forRun(runId).filter((m) => m.split === opts.valSplit && m.name === 'score');
  let best = recorded.reduce((b, m) => (m.value > b.score ? { step: m.step, score: m.value } : b), { step: 0, score: -1 });
  let sinceBest = recorded.filter((m) => m.step > best.step).length;
  let step = fs.existsSync(path.join(config.dir, CHECKPOINT_FILE)) ? readCheckpoint(path.join(config.dir, CHECKPOINT_FILE)).step : 0;
  let stoppedEarly = sinceBest >= config.patience;
  let outOfTime = false;
  /** Validation of the checkpoint at `at`: records it, keeps the best, counts patience. */
  const validate = async (at: number): Promise<void> => {
    const values = readCheckpoint(path.join(config.dir, CHECKPOINT_FILE)).params;
    const perPair: [string, CrossModalResult][] = [];
    const weighed: { result: CrossModalResult; media: number; captions: number }[] = [];
    for (const d of data) {
      const v = d.splits.val;
      const r = await evaluateConnector(spec, values, { a: d.a, b: d.b, aVecs: v.aVecs, bVecs: v.bVecs, owner: v.owner });
      perPair.push([`${d.a}-${d.b}`, r]);
      weighed.push({ result: r, media: v.aVecs.length / d.aDim, captions: v.owner.length });
    }
    // Every val query weighs the same, whichever pair it belongs to.
    const score = microScore(weighed);
    const rsum = perPair.reduce((t, [, r]) => t + r.rsum, 0);
    const improved = score > best.score;
    catalog.write(() => {
      catalog.metrics.record(runId, at, opts.valSplit, { score, rsum });
      for (const [pair, r] of perPair) catalog.metrics.record(runId, at, `${opts.valSplit}.${pair}`, flatten(r));
      if (improved) {
        fs.copyFileSync(path.join(config.dir, CHECKPOINT_FILE), path.join(config.dir, BEST_FILE));
        catalog.checkpoints.save(runId, at, fileHash(path.join(config.dir, BEST_FILE)), { path: path.join(config.dir, BEST_FILE) }, { score, rsum }, Date.now());
      }
    });
    for (const [pair, r] of perPair) onEvent({ type: 'recall', step: at, pair, split: 'val', result: r, best: improved });
    if (improved) {
      best = { step: at, score };
      sinceBest = 0;
    } else if (++sinceBest >= config.patience) {
      stoppedEarly = true;
    }
  };
  /** Whether training goes on from `at`: steps left, patience left, time left, not cancelled. */
  const goesOn = (at: number): boolean => {
    if (at >= config.steps || stoppedEarly || signal?.aborted) return false;
    if (opts.deadline !== undefined && Date.now() >= opts.deadline) outOfTime = true;
    return !outOfTime;
  };
  const nextTarget = (from: number): number => Math.min(config.steps, from + config.evalEvery);
  let failure: unknown = null;
  try {
    if (goesOn(step)) {
      // One training job for the whole loop: it holds at every evaluation (its checkpoint saved)
      // while the checkpoint is validated here, then goes on or ends. Progress reports the run's
      // planned total.
      const handle = startTraining(
        { ...job, steps: nextTarget(step) },
        { train },
        (e) => {
          // The curves a run page redraws after a reload: each direction's loss and the learning rate.
          if (e.type === 'progress') catalog.write(() => catalog.metrics.record(runId, e.step, trainSplit, { ...Object.fromEntries(Object.entries(e.losses).map(([task, l]) => [`loss ${task}`, l])), lr: e.lr }));
          onEvent(e.type === 'progress' ? { ...e, steps: config.steps } : e);
        },
        async (at) => {
          try {
            await validate(at);
            return goesOn(at) ? nextTarget(at) : 0;
          } catch (err) {
            failure = err;
            return 0;
          }
        },
      );
      const onAbort = (): void => handle.cancel();
      signal?.addEventListener('abort', onAbort);
      try {
        step = (await handle.done).step;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      if (failure) throw failure;
    }
  } catch (err) {
    catalog.write(() => catalog.runs.setStatus(runId, 'failed', Date.now()));
    throw err;
  }
  const completed = step >= config.steps || stoppedEarly || outOfTime;
  return { completed, bestStep: best.step, bestValScore: best.score, stoppedEarly: stoppedEarly || outOfTime };
}

/** The best checkpoint's parameters (the last one when no validation ever ran). */
export function runParams(config: RunConfig): Map<string, Float32Array | Float64Array> {
  const bestFile = path.join(config.dir, BEST_FILE);
  const file = fs.existsSync(bestFile) ? bestFile : path.join(config.dir, CHECKPOINT_FILE);
  if (!fs.existsSync(file)) throw missingRunFiles(config.dir);
  return readCheckpoint(file).params;
}

/** The one-line error for a run whose folder is gone (a catalog copied or moved without it). */
export function missingRunFiles(dir: string): ConnectorDataError {
  return new ConnectorDataError(`the run's files are missing: ${dir} does not hold its checkpoint (was the catalog copied or moved without its runs folder?)`);
}

async function evaluateTest(catalog: Catalog, runId: number, config: RunConfig, data: PairData[]): Promise<RunSummary['test']> {
  const values = runParams(config);
  const out: RunSummary['test'] = {};
  for (const d of data) {
    // Test split when the data has one, else validation: the baselines always see the same split.
    const split: Split = d.splits.test.owner.length > 0 ? 'test' : 'val';
    if (d.splits[split].owner.length === 0) continue;
    const pair = `${d.a}-${d.b}`;
    out[pair] = await evaluatePair(config, values, d, split);
    catalog.write(() => recordEvaluation(catalog, runId, pair, out[pair]!, ''));
  }
  return out;
}

/** The connector and the tuned baselines (chosen on val, fitted on train) on one split of a pair. */
export async function evaluatePair(config: RunConfig, values: Map<string, Float32Array | Float64Array>, d: PairData, split: Split, head?: 'mapped' | 'pred'): Promise<PairEvaluation> {
  const spec = altMoeModel(config.model);
  head ??= config.model.loss === 'pred' ? 'pred' : 'mapped';
  const s = d.splits[split];
  const set = { a: d.a, b: d.b, aVecs: s.aVecs, bVecs: s.bVecs, owner: s.owner };
  const v = d.splits.val;
  // What search and export serve (the connector, or the auto preset's ensemble), through the same graphs.
  const connector = head === 'pred' ? await evaluateConnector(spec, values, set, 'pred') : await evaluateServed(servedFor(config, values, d.a, d.b), set);
  const rows = trainingRows(d.splits.train, d.aDim);
  const baselines = await evaluateBaselines({ a: rows.a, b: rows.b }, { a: d.a, b: d.b, aVecs: v.aVecs, bVecs: v.bVecs, owner: v.owner }, set, { a: d.aDim, b: d.bDim });
  return { split, items: s.aVecs.length / d.aDim, captions: s.owner.length, connector, baselines };
}

/** Stores a pair's evaluation as metrics: `<split>.<pair><suffix>` and `.baseline.<name>` rows (with the chosen settings). */
export function recordEvaluation(catalog: Catalog, runId: number, pair: string, e: PairEvaluation, suffix: string): void {
  catalog.metrics.record(runId, 0, `${e.split}.${pair}${suffix}`, { ...flatten(e.connector), items: e.items, captions: e.captions });
  for (const [name, b] of Object.entries(e.baselines)) {
    const hyper = Object.fromEntries(Object.entries(b.hyper).filter((x): x is [string, number] => typeof x[1] === 'number').map(([k, x]) => [`hp_${k}`, x]));
    catalog.metrics.record(runId, 0, `${e.split}.${pair}.baseline.${name}`, { ...flatten(b.result), val_score: b.valScore, ...hyper });
  }
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
