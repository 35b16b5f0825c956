// The body of a worker thread that runs one cancellable job on its own catalog connection (the
// connector and demo workers): cancel arrives as a message, updates and the outcome go back as
// JobMessages (workers.ts), and the connection closes however the job ends.
import { parentPort } from 'node:worker_threads';
import { Catalog } from './catalog/catalog.ts';
import { postJobOutcome } from './workers.ts';

export async function runCatalogJob<R>(catalogFile: string, job: (catalog: Catalog, signal: AbortSignal, update: (u: unknown) => void) => Promise<R>): Promise<void> {
  const port = parentPort!;
  const abort = new AbortController();
  port.on('message', (m: { cancel?: true }) => {
    if (m.cancel) abort.abort();
  });
  const catalog = Catalog.open(catalogFile);
  const post = (m: unknown): void => port.postMessage(m);
  try {
    await postJobOutcome(post, () => job(catalog, abort.signal, (update) => post({ kind: 'update', update })));
  } finally {
    catalog.close();
    port.close();
  }
}
