// The caller's side of a map job: a promise for the layout's outcome, its progress, cancel. UMAP is
// tens of seconds of JavaScript that must not block the server or Electron's main thread.
import { runJob } from '../util/job-host.ts';
import { MapError, type MapOptions, type MapSource } from './map.ts';

export type MapProgress = Parameters<NonNullable<MapOptions['onProgress']>>[0];

export interface MapJobData {
  catalogFile: string;
  source: MapSource;
  options: Pick<MapOptions, 'seed' | 'sample' | 'threads' | 'force'>;
}

export function mapInWorker(catalogFile: string, source: MapSource, options: MapJobData['options'], onProgress: (p: MapProgress) => void, signal: AbortSignal): Promise<{ cached: boolean; seconds: number; points: number }> {
  const data: MapJobData = { catalogFile, source, options };
  return runJob('map', data, { onUpdate: onProgress, signal, userError: (message) => new MapError(message) });
}
