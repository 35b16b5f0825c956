// altmoe serve: the app's UI and API over HTTP on loopback, for a browser.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Catalog } from '../../catalog/catalog.ts';
import { startServer } from '../../server/server.ts';
import { EngineService } from '../../service/service.ts';
import { storeOptions } from './search.ts';
import { checkStore } from '../../store/postgres/pg-store.ts';
import { noMoreArgs, oneOf, positiveInt, UsageError, type CliIo, type Command, type Values } from '../args.ts';

const APP_VERSION = (JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../../package.json'), 'utf8')) as { version: string }).version;

export const serve: Command = async ({ catalogFile, args, values, io }) => {
  noMoreArgs(args);
  return serveCatalog(catalogFile, values, io);
};

/** Serves a catalog's UI and API until Ctrl-C (altmoe serve, and the end of altmoe demo). */
export async function serveCatalog(catalogFile: string, values: Values, io: CliIo): Promise<number> {
  const host = values.host ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) throw new UsageError('--host must be a loopback address (127.0.0.1, localhost or ::1); reach a remote box through an SSH tunnel');
  const catalog = Catalog.open(catalogFile, { create: true });
  const storage = oneOf(values.storage, 'storage', ['float32', 'int8'] as const);
  const store = storeOptions(values);
  const storeWhere = store.store ? await checkStore(store.store) : null;
  const service = new EngineService(catalog, { version: APP_VERSION, mode: 'server', ...(storage ? { storage } : {}), ...store });
  void service.warmSearch();
  const ui = path.resolve(import.meta.dirname, '../../../../out/renderer');
  const server = await startServer(service, { host, port: values.port === undefined ? 7860 : positiveInt(values.port, 'port', 65_535)!, ...(existsSync(path.join(ui, 'index.html')) ? { staticDir: ui } : {}) });
  // Listening for Ctrl-C and SIGTERM before saying where to connect: a signal sent as soon as the
  // URL appears must stop the server cleanly, not kill it.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const url = `${server.url}?token=${server.token}`;
  io.out(values.json ? JSON.stringify({ url, port: server.port, token: server.token }) : `AltMoE Studio is serving ${catalog.file}${storeWhere ? ` (vectors from ${storeWhere})` : ''}\nopen: ${url}\n(the token is printed only here; Ctrl-C stops)`);
  if (!existsSync(path.join(ui, 'index.html'))) io.err.write('warning: the UI is not built (run "npm run build"); only the API is served\n');
  await stopped;
  await server.close();
  await service.close();
  catalog.close();
  return 0;
}
