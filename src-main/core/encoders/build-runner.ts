// The caller's side of building an npm-shipped encoder: GloVe's build parses a 300 MB JSON file,
// which must not block the server or Electron's main thread.
import { runJob } from '../util/job-host.ts';
import { EncoderError } from './errors.ts';
import type { NpmEncoderKind } from './npm-encoders.ts';

export interface BuiltEncoder {
  name: string;
  modality: string;
  dim: number;
  status: 'added' | 'unchanged' | 'replaced';
}

export interface BuildEncoderJobData {
  catalogFile: string;
  kind: NpmEncoderKind;
}

export function buildEncoderInWorker(catalogFile: string, kind: NpmEncoderKind): Promise<BuiltEncoder> {
  const data: BuildEncoderJobData = { catalogFile, kind };
  return runJob('build-encoder', data, { userError: (message) => new EncoderError(message) });
}
