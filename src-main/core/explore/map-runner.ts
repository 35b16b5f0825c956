// The caller's side of the map worker: a promise for the layout's outcome, its progress, cancel.
import { jobResult, spawnWorker } from '../workers.ts';
import { MapError, type MapOptions, type MapSource } from './map.ts';

export type MapProgress = Parameters<NonNullable<MapOptions['onProgress']>>[0];

export function mapInWorker(catalogFile: string, source: MapSource, options: Pick<MapOptions, 'seed' | 'sample' | 'threads' | 'force'>, onProgress: (p: MapProgress) => void, signal: AbortSignal): Promise<{ cached: boolean; seconds: number; points: number }> {
  const worker = spawnWorker(new URL('./map-worker.ts', import.meta.url), 'map-worker', { catalogFile, source, options });
  const onAbort = (): void => worker.postMessage({ cancel: true });
  signal.addEventListener('abort', onAbort, { once: true });
  return jobResult<MapProgress, { cached: boolean; seconds: number; points: number }>(worker, onProgress, (message) => new MapError(message)).finally(() => signal.removeEventListener('abort', onAbort));
}
