import { altMoeModel, type AltMoeConfig } from '../model/altmoe.ts';
import { regressionModel, type RegressionConfig } from './regression.ts';
import type { ModelSpec } from './spec.ts';

/** Builds a model from its JSON config; a checkpoint's config therefore rebuilds the same graphs. */
export function buildModel(config: { kind: string } & Record<string, unknown>): ModelSpec {
  switch (config.kind) {
    case 'regression':
      return regressionModel(config as unknown as RegressionConfig);
    case 'altmoe':
      return altMoeModel(config as unknown as AltMoeConfig);
    default:
      throw new Error(`unknown model kind "${config.kind}"`);
  }
}
