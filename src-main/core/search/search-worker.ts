// Runs the search engine in its own thread with its own catalog connection. Ranking a large
// index blocks the thread it runs on (tens of milliseconds per query at 1M vectors), and building
// an IVF or int8 index takes tens of seconds the first time; the server's request loop and
// Electron's main process must stay responsive meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import { Catalog } from '../catalog/catalog.ts';
import { UserError } from '../util/errors.ts';
import { SearchEngine, type SearchOptions, type SearchQuery, type Unavailable } from './engine.ts';

export type SearchRequest = { id: number; query: SearchQuery; sections?: boolean } | { id: -1; close: true };
export type SearchReply = { id: number; hits: Awaited<ReturnType<SearchEngine['search']>>; unavailable?: Unavailable[] } | { id: number; error: string; user: boolean };

const { catalogFile, options } = workerData as { catalogFile: string; options: SearchOptions };
const port = parentPort!;
const catalog = Catalog.open(catalogFile);
const engine = new SearchEngine(catalog, options);

port.on('message', (req: SearchRequest) => {
  if ('close' in req) {
    void engine.close().finally(() => {
      catalog.close();
      port.close();
    });
    return;
  }
  (req.sections ? engine.searchSections(req.query) : engine.search(req.query).then((hits) => ({ hits, unavailable: undefined }))).then(
    ({ hits, unavailable }) => port.postMessage({ id: req.id, hits, ...(unavailable ? { unavailable } : {}) } satisfies SearchReply),
    (err: unknown) => port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err), user: err instanceof UserError } satisfies SearchReply),
  );
});
