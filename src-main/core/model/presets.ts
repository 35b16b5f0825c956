// Training presets. `paper` follows the authors' released configuration; `laptop` trains in minutes
// on two CPU cores. Every field can be overridden (the "custom" preset is any override).
import type { OptimizerConfig } from '../onnx/optim.ts';
import type { AltMoeConfig } from './altmoe.ts';

export interface Preset {
  model: Omit<AltMoeConfig, 'kind' | 'modalities' | 'pairs'>;
  optimizer: OptimizerConfig;
  steps: number;
  batchSize: number;
  evalEvery: number;
  /** Early stopping: evaluations without a better validation RSUM before training stops. */
  patience: number;
}

export const PRESETS: Record<'paper' | 'laptop', Preset> = {
  paper: {
    // Hidden size 2048 with one 12-expert top-4 block: about 130M trainable parameters with
    // 4096-d LLM text features and 1024-d DINOv2 image features, as the paper reports.
    model: {
      dim: 2048,
      hidden: 2048,
      experts: 12,
      topK: 4,
      layers: 1,
      connector: 'moe',
      schedule: 'alternating',
      loss: 'pred+cl',
      predLoss: 'smoothl1',
      predWeight: 1,
      temperature: 0.03,
      learnTemperature: false,
      dropout: 0.1,
      balanceWeight: 0.01,
    },
    optimizer: { kind: 'adamw', lr: 1e-3, weightDecay: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: 1, schedule: { warmupSteps: 2000, totalSteps: 100_000, minLrRatio: 0.01 } },
    steps: 100_000,
    batchSize: 120,
    evalEvery: 2000,
    patience: 5,
  },
  laptop: {
    model: {
      dim: 256,
      hidden: 512,
      experts: 4,
      topK: 2,
      layers: 2,
      connector: 'moe',
      schedule: 'alternating',
      loss: 'pred+cl',
      predLoss: 'smoothl1',
      predWeight: 1,
      temperature: 0.05,
      learnTemperature: false,
      // Dropout on the source vector is the regulariser that matters most with a few thousand pairs
      // or fewer (0.5 beat 0.1 on real clipart at 1000 pairs; bench:curve).
      dropout: 0.5,
      balanceWeight: 0.01,
    },
    optimizer: { kind: 'adamw', lr: 1e-3, weightDecay: 0.05, clipNorm: 1, schedule: { warmupSteps: 100, totalSteps: 3000, minLrRatio: 0.05 } },
    steps: 3000,
    batchSize: 128,
    evalEvery: 500,
    patience: 3,
  },
};

/** Settings one auto trial changes on top of the laptop preset. */
export interface TrialSettings {
  dropout?: number;
  temperature?: number;
  lr?: number;
}

/** The auto preset: a validation-driven search within a time budget, then the best ensemble on val. */
export interface AutoPlan {
  budgetSeconds: number;
  trials: TrialSettings[];
}

export const PRESET_NAMES = ['auto', 'laptop', 'paper'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/**
 * auto = the laptop Alt-MoE (MoE connector, alternating schedule, prediction + contrastive losses)
 * with finer validation and early stopping, tried at a few settings in order of how often they won,
 * until the budget is spent. Every trial is Alt-MoE; the ensemble step may add tuned
 * training-free members (or, when they are better on val, serve them alone).
 */
export const AUTO = {
  budgetSeconds: 300,
  evalEvery: 100,
  patience: 4,
  trials: [{ dropout: 0.5 }, { dropout: 0.3 }, { dropout: 0.5, temperature: 0.1 }, { dropout: 0.7 }, { dropout: 0.5, lr: 5e-4 }] as TrialSettings[],
};

/** The settings a preset trains with (auto: the laptop Alt-MoE with auto's validation cadence). */
export function presetBase(name: PresetName): Preset {
  return name === 'auto' ? { ...PRESETS.laptop, evalEvery: AUTO.evalEvery, patience: AUTO.patience } : PRESETS[name];
}

/** Each preset's user-facing settings (the Train page shows them in its custom fields). */
export function presetInfos(): { name: PresetName; steps: number; batchSize: number; evalEvery: number; lr: number; connector: string; schedule: string; loss: string; budgetSeconds?: number }[] {
  return PRESET_NAMES.map((name) => {
    const p = presetBase(name);
    return {
      name,
      steps: p.steps,
      batchSize: p.batchSize,
      evalEvery: p.evalEvery,
      lr: p.optimizer.lr,
      connector: p.model.connector,
      schedule: p.model.schedule,
      loss: p.model.loss,
      ...(name === 'auto' ? { budgetSeconds: AUTO.budgetSeconds } : {}),
    };
  });
}
