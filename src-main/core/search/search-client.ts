// The caller's side of the search worker (see search-worker.ts): one promise per query. A one-off
// user (a script, a test) starts it with the first query and it is let go after a minute without
// one: its query encoders and indexes are hundreds of MB with GloVe's tokenizer, and a thread that
// ends returns them. A server or the desktop app warms it at start and keeps it (idleMs 0): a
// restart costs seconds, and a person waiting on a query notices them.
import type { Worker } from 'node:worker_threads';
import { MODALITIES } from '../../../src-shared/types.ts';
import { spawnWorker } from '../util/workers.ts';
import { SearchError, type SearchHit, type SearchOptions, type SearchQuery, type Unavailable } from './engine.ts';
import type { SearchReply, SearchRequest } from './search-worker.ts';

export const SEARCH_IDLE_MS = 60_000;

type Pending = { resolve: (r: { hits: SearchHit[]; unavailable: Unavailable[] }) => void; reject: (e: Error) => void };

export class SearchWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly catalogFile: string,
    private readonly options: SearchOptions = {},
    private readonly idleMs = Number(process.env.ALTMOE_SEARCH_IDLE_MS ?? SEARCH_IDLE_MS),
  ) {}

  /** Whether a worker thread is running now (tests). */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Starts the thread and loads what a text query needs; a catalog that cannot answer yet is no error. */
  async warm(): Promise<void> {
    await this.ask({ query: { text: 'warm up' }, to: [...MODALITIES], k: 1 }, true).catch(() => undefined);
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    return (await this.ask(query, false)).hits;
  }

  /** Hits of every target that can answer, and why the others cannot (SearchEngine.searchSections). */
  searchSections(query: SearchQuery): Promise<{ hits: SearchHit[]; unavailable: Unavailable[] }> {
    return this.ask(query, true);
  }

  private start(): Worker {
    const worker = spawnWorker(new URL('./search-worker.ts', import.meta.url), 'search-worker', { catalogFile: this.catalogFile, options: this.options });
    worker.on('message', (m: SearchReply) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if ('hits' in m) p?.resolve({ hits: m.hits, unavailable: m.unavailable ?? [] });
      // Errors cross the thread boundary as text; user-facing ones (a bad query) stay SearchErrors.
      else p?.reject(m.user ? new SearchError(m.error) : new Error(m.error));
      this.armIdle();
    });
    const fail = (err: Error): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the search worker exited (code ${code})`)));
    return worker;
  }

  private async ask(query: SearchQuery, sections: boolean): Promise<{ hits: SearchHit[]; unavailable: Unavailable[] }> {
    clearTimeout(this.idleTimer);
    // A worker being let go finishes first; the query then gets a fresh one.
    if (this.closing) await this.closing;
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, query, sections } satisfies SearchRequest);
    });
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.pending.size > 0 || !(this.idleMs > 0)) return;
    this.idleTimer = setTimeout(() => void this.stop(), this.idleMs);
    this.idleTimer.unref();
  }

  /** Ends the worker thread (it closes its catalog connection and sessions first). */
  private stop(force = false): Promise<void> {
    const worker = this.worker;
    if (!worker || (this.pending.size > 0 && !force)) return Promise.resolve();
    this.worker = null;
    this.closing = new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage({ id: -1, close: true } satisfies SearchRequest);
      setTimeout(() => void worker.terminate(), 5000).unref();
    }).finally(() => (this.closing = null));
    return this.closing;
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    await (this.closing ?? this.stop(true));
  }
}
