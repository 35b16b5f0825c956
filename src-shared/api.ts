// The one typed contract between the renderer and the engine, whichever carries it
// (Electron IPC through the preload, or HTTP/WebSocket in server mode).
// Every request is named "domain:verb" with its payload and result; so is every pushed event.
import type { CatalogStats } from './types.ts';

export interface AppInfo {
  version: string;
  catalog: string;
  readonly: boolean;
  platform: string;
}

export interface ApiRequests {
  'app:info': { payload: void; result: AppInfo };
  'catalog:stats': { payload: void; result: CatalogStats };
}

// Pushed events arrive through ApiClient.on; none are defined until long jobs are wired to the UI.
export type ApiEvents = Record<never, never>;

export type RequestChannel = keyof ApiRequests;
export type EventChannel = keyof ApiEvents;

/** The channel names, as values, so the preload can expose exactly these and nothing else. */
export const REQUEST_CHANNELS = ['app:info', 'catalog:stats'] as const satisfies readonly RequestChannel[];
export const EVENT_CHANNELS = [] as const satisfies readonly EventChannel[];

export type ApiClient = {
  [C in RequestChannel]: (
    ...args: ApiRequests[C]['payload'] extends void ? [] : [payload: ApiRequests[C]['payload']]
  ) => Promise<ApiRequests[C]['result']>;
};
