// A run's stored configuration and its folder: where its checkpoints, best parameters and served
// ensemble live, stored relative to the catalog so a copied catalog keeps working.
import fs from 'node:fs';
import path from 'node:path';
import type { Modality } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { type DuplicatePolicy } from '../duplicates/straddle.ts';
import { altMoeModel, type AltMoeConfig } from '../model/altmoe.ts';
import { CONNECTOR_ONLY, ensembleValues, type EnsembleConfig } from '../model/ensemble.ts';
import type { AutoPlan } from '../model/presets.ts';
import { type Preset, type PresetName } from '../model/presets.ts';
import { type Served } from '../model/served.ts';
import type { OptimizerConfig } from '../onnx/optim.ts';
import type { Provider } from '../onnx/runtime.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../train/checkpoint.ts';
import { readSafetensors } from '../util/safetensors.ts';
import { ConnectorDataError } from './pair-data.ts';
import type { UnpairedChoice } from './unpaired.ts';

/**
 * The run config's format. 1: unversioned, fields added over time left out by older runs; 2: every
 * field present (catalog migration 7 upgrades older rows in place).
 */
export const RUN_CONFIG_VERSION = 2;

export interface RunConfig {
  version: typeof RUN_CONFIG_VERSION;
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
  trainPairs: number | null;
  /** The auto preset's plan (null for fixed presets). */
  auto: AutoPlan | null;
  /** What was done about duplicates across splits. */
  duplicates: DuplicatePolicy;
  /** Which unpaired items the auto preset's QB-Norm bank draws on (absent in older runs: none). */
  unpaired?: UnpairedChoice;
  /** Per pair ("a-b"), the ensemble the run serves (null: the connector alone); arrays in ENSEMBLE_FILE. */
  served: Record<string, EnsembleConfig> | null;
  dir: string;
}

export const ENSEMBLE_FILE = 'ensemble.safetensors';

/** The run's pair of modalities s and t (either order), as trained; undefined when it has none. */
export function findPair(config: Pick<RunConfig, 'pairs'>, s: string, t: string): [Modality, Modality] | undefined {
  return config.pairs.find(([a, b]) => (a === s && b === t) || (a === t && b === s));
}

/** The run's pair of modalities s and t (either order), as trained; a one-line error for another. */
export function runPair(config: RunConfig, s: string, t: string): [Modality, Modality] {
  const pair = findPair(config, s, t);
  if (!pair) throw new ConnectorDataError(`the run was not trained for ${s} and ${t}`);
  return pair;
}

/** What a run serves for the pair of modalities s and t (either order): that pair's checkpoint, and its ensemble. */
export function servedFor(config: RunConfig, s: string, t: string, checkpoint: RunCheckpoint = 'best'): Served {
  return servedWith(config, runParams(config, checkpoint, runPair(config, s, t).join('-')), s, t);
}

/** What a run serves for s and t with the connector's parameters given (a checkpoint of the caller's choice). */
export function servedWith(config: RunConfig, values: Map<string, Float32Array | Float64Array>, s: string, t: string): Served {
  const spec = altMoeModel(config.model);
  const pair = runPair(config, s, t);
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
  /** Unpaired items for the auto preset's QB-Norm bank: auto (default: every dataset's), none, or dataset names. */
  unpaired?: UnpairedChoice;
  threads?: number;
  provider?: Provider;
}

export const BEST_FILE = 'best.safetensors';

/**
 * A run of several pairs keeps each pair's best checkpoint on that pair's own val queries as well:
 * the checkpoint best on all val queries together is the larger pair's choice.
 */
export const pairBestFile = (pair: string): string => `best.${pair}.safetensors`;

/** The folder that holds a catalog's run folders by default: next to the file, named after it. */
export const runsFolderOf = (catalogFile: string): string => `${catalogFile}.runs`;

export function ownsRunDir(catalog: Catalog, dir: string): boolean {
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
  const c = decodeRunConfig(json);
  return { ...c, dir: resolveRunDir(catalog, c.dir) };
}

/** A stored run config as it is (its folder as stored), checked to be of the format this version writes. */
export function decodeRunConfig(json: string): RunConfig {
  const c = JSON.parse(json) as Partial<RunConfig>;
  if (c.version === RUN_CONFIG_VERSION) return c as RunConfig;
  if ((c.version ?? 1) > RUN_CONFIG_VERSION) throw new ConnectorDataError(`a run was written by a newer AltMoE Studio (run config format ${c.version}); update the app`);
  throw new ConnectorDataError(`a run's config is of an old format (${c.version ?? 1}) the catalog's migrations did not upgrade`);
}

export function runConfig(catalog: Catalog, runId: number): RunConfig {
  const run = catalog.runs.get(runId);
  if (!run) throw new ConnectorDataError(`no run ${runId} (see "altmoe list runs")`);
  return parseRunConfig(catalog, run.config);
}

/**
 * A run's parameters: its best checkpoint (refused, with the reason, when only the last one is there)
 * or, asked for, its last. With a pair ("a-b") of a run of several pairs, that pair's own best.
 */
export function runParams(config: RunConfig, checkpoint: RunCheckpoint = 'best', pair?: string): Map<string, Float32Array | Float64Array> {
  const bestFile = path.join(config.dir, BEST_FILE);
  const lastFile = path.join(config.dir, CHECKPOINT_FILE);
  if (checkpoint === 'best' && pair !== undefined && config.pairs.length > 1) {
    const own = path.join(config.dir, pairBestFile(pair));
    if (fs.existsSync(own)) return readCheckpoint(own).params;
    // Runs trained before pairs kept their own best have none of these files and serve the run's best.
    const others = config.pairs.map(([a, b]) => path.join(config.dir, pairBestFile(`${a}-${b}`)));
    if (others.some((f) => fs.existsSync(f))) throw new ConnectorDataError(`the run's best checkpoint for ${pair} is missing: ${own} is not there (a partial copy of its folder?)`);
  }
  if (checkpoint === 'best' && !fs.existsSync(bestFile)) {
    // Validation writes the best checkpoint at every checkpoint, so a last one without it is a
    // partial copy or a crash between the two writes: never silently another model.
    if (fs.existsSync(lastFile)) throw new ConnectorDataError(`the run's best checkpoint is missing: ${bestFile} is not there (a partial copy of its folder?); its last checkpoint is, and "--checkpoint last" evaluates or exports that one instead`);
    throw missingRunFiles(config.dir);
  }
  const file = checkpoint === 'best' ? bestFile : lastFile;
  if (!fs.existsSync(file)) throw missingRunFiles(config.dir);
  return readCheckpoint(file).params;
}

/** Which of a run's checkpoints to read: the best on validation (what it serves), or the last one written. */
export type RunCheckpoint = 'best' | 'last';

/** The one-line error for a run whose folder is gone (a catalog copied or moved without it). */
export function missingRunFiles(dir: string): ConnectorDataError {
  return new ConnectorDataError(`the run's files are missing: ${dir} does not hold its checkpoint (was the catalog copied or moved without its runs folder?)`);
}
