// The caller's side of the encoder-building worker: a promise for the registered encoder.
import { jobResult, spawnWorker } from '../workers.ts';
import { EncoderError } from './errors.ts';
import type { NpmEncoderKind } from './npm-encoders.ts';

export interface BuiltEncoder {
  name: string;
  modality: string;
  dim: number;
  status: 'added' | 'unchanged' | 'replaced';
}

export function buildEncoderInWorker(catalogFile: string, kind: NpmEncoderKind): Promise<BuiltEncoder> {
  const worker = spawnWorker(new URL('./build-worker.ts', import.meta.url), 'build-worker', { catalogFile, kind });
  return jobResult<never, BuiltEncoder>(worker, () => undefined, (message) => new EncoderError(message));
}
