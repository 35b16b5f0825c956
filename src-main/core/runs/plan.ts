// A run request checked completely and turned into a configuration and its data, before anything
// is written; and the same data again for a run that resumes.
import { definedOnly } from '../../../src-shared/objects.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { DUPLICATE_POLICIES } from '../duplicates/straddle.ts';
import { altMoeModel, type AltMoeConfig } from '../model/altmoe.ts';
import { AUTO, PRESET_NAMES, presetBase, type Preset, type PresetName } from '../model/presets.ts';
import type { OptimizerConfig } from '../onnx/optim.ts';
import { RUN_CONFIG_VERSION, type ConnectorRunOptions, type RunConfig } from './config.ts';
import { withDuplicatePolicy } from './duplicate-policy.ts';
import { checkTrainingMemory } from './memory.ts';
import { ConnectorDataError, limitTraining, loadPairData, requireSplits, type PairData } from './pair-data.ts';
import { loadUnpaired } from './unpaired.ts';

/**
 * Checks a run request completely and builds its configuration (everything but the folder) and
 * data, writing nothing: a bad request fails here, before any row or file exists. mode 'check':
 * only the checks (the data of a run that is not started yet need not be complete).
 */
export function planRun(catalog: Catalog, opts: ConnectorRunOptions, mode: 'run' | 'check' = 'run'): { config: Omit<RunConfig, 'dir'>; data: PairData[] } {
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
  const unpaired = opts.unpaired ?? 'auto';
  if (!(unpaired === 'auto' || unpaired === 'none' || (Array.isArray(unpaired) && unpaired.length > 0))) throw new ConnectorDataError('--unpaired takes auto, none or dataset names');
  if (Array.isArray(unpaired) && !isAuto) throw new ConnectorDataError('unpaired datasets go with the auto preset (its QB-Norm bank); the fixed presets train on pairs alone');
  const paired = opts.pairs.map(([a, b]) => limitTraining(loadPairData(catalog, { a, b, encoders: opts.encoders ?? {}, datasets: opts.datasets }), opts.trainPairs, seed));
  for (const d of paired) requireSplits(d);
  // A request check (on a server's request thread) reads unpaired vectors only where they can be
  // wrong: 'auto' never is, and the job reads them again anyway.
  const loadsUnpaired = isAuto && (mode === 'run' || Array.isArray(unpaired));
  const data = loadsUnpaired ? paired.map((d) => ({ ...d, unpaired: loadUnpaired(catalog, d, unpaired, seed) })) : paired;
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
  const auto = isAuto ? { budgetSeconds: budget, trials: AUTO.trials.slice(0, trials) } : null;
  return { config: { version: RUN_CONFIG_VERSION, preset: presetName, auto, served: null, model, optimizer, steps, batchSize, evalEvery, patience, seed, pairs: opts.pairs, encoders, datasets: opts.datasets ?? null, trainPairs: opts.trainPairs ?? null, duplicates, unpaired }, data };
}

/** The pair data a run was trained on (the same training subset), from the catalog. */
export function runData(catalog: Catalog, config: RunConfig): Promise<PairData[]> {
  const encoders = Object.fromEntries(Object.entries(config.encoders).map(([m, e]) => [m, e!.name]));
  return Promise.all(
    config.pairs.map(async ([a, b]) => {
      const limited = limitTraining(loadPairData(catalog, { a, b, encoders, datasets: config.datasets ?? undefined }), config.trainPairs ?? undefined, config.seed);
      // Unpaired items as planRun found them: before the duplicates policy moves any media.
      const d = config.auto ? { ...limited, unpaired: loadUnpaired(catalog, limited, config.unpaired ?? 'none', config.seed) } : limited;
      return withDuplicatePolicy(catalog, d, config.duplicates);
    }),
  );
}
