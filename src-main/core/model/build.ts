import { altMoeModel, type AltMoeConfig } from './altmoe.ts';
import { regressionModel, type RegressionConfig } from './regression.ts';
import type { BuildOptions, ModelBuilder, ModelSpec } from '../train/spec.ts';

/** Builds a model from its JSON config; a checkpoint's config therefore rebuilds the same graphs. */
export const buildModel: ModelBuilder = (config: { kind: string } & Record<string, unknown>, build: BuildOptions = {}): ModelSpec => {
  switch (config.kind) {
    case 'regression':
      return regressionModel(config as unknown as RegressionConfig, build);
    case 'altmoe':
      return altMoeModel(config as unknown as AltMoeConfig, build);
    default:
      throw new Error(`unknown model kind "${config.kind}"`);
  }
};
