import { ipcMain } from 'electron';
import type { ApiRequests, RequestChannel } from '../../../src-shared/api.ts';
import type { Catalog } from '../../core/catalog/catalog.ts';

type Handler<C extends RequestChannel> = (payload: ApiRequests[C]['payload']) => ApiRequests[C]['result'] | Promise<ApiRequests[C]['result']>;

function handle<C extends RequestChannel>(channel: C, validate: (p: unknown) => ApiRequests[C]['payload'], fn: Handler<C>): void {
  ipcMain.handle(channel, async (_event, payload: unknown) => fn(validate(payload)));
}

/** Requests without a payload must not carry one. */
function noPayload(p: unknown): void {
  if (p !== undefined) throw new Error('this request takes no payload');
}

export function registerCatalogHandlers(catalog: Catalog, version: string): void {
  handle('app:info', noPayload, () => ({ version, catalog: catalog.file, readonly: catalog.readonly, platform: process.platform }));
  handle('catalog:stats', noPayload, () => catalog.stats());
}
