// The caller's side of a pull in the job worker: registering reads the whole model (its hash and a
// session to learn its outputs), which must not block the server or Electron's main thread.
import type { RequestPayloads } from '../../../../src-shared/schemas.ts';
import { runJob } from '../../util/job-host.ts';
import { EncoderError } from '../errors.ts';
import type { PullProgress } from './pull.ts';

export interface PullJobData {
  catalogFile: string;
  request: RequestPayloads['encoders:pull'];
}

export interface PulledEncoder {
  name: string;
  modality: string;
  dim: number;
  status: 'added' | 'unchanged' | 'replaced';
  downloaded: number;
}

export function pullInWorker(catalogFile: string, request: PullJobData['request'], onProgress: (p: PullProgress) => void, signal: AbortSignal): Promise<PulledEncoder> {
  const data: PullJobData = { catalogFile, request };
  return runJob('pull-encoder', data, { onUpdate: onProgress, signal, userError: (message) => new EncoderError(message) });
}
