// The caller's side of the search worker (see search-worker.ts): one promise per query.
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../workers.ts';
import { SearchError, type SearchHit, type SearchOptions, type SearchQuery, type Unavailable } from './engine.ts';
import type { SearchReply, SearchRequest } from './search-worker.ts';

export class SearchWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: { hits: SearchHit[]; unavailable: Unavailable[] }) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(catalogFile: string, options: SearchOptions = {}) {
    this.worker = spawnWorker(new URL('./search-worker.ts', import.meta.url), 'search-worker', { catalogFile, options });
    this.worker.on('message', (m: SearchReply) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if ('hits' in m) p?.resolve({ hits: m.hits, unavailable: m.unavailable ?? [] });
      // Errors cross the thread boundary as text; user-facing ones (a bad query) stay SearchErrors.
      else p?.reject(m.user ? new SearchError(m.error) : new Error(m.error));
    });
    const fail = (err: Error): void => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the search worker exited (code ${code})`)));
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    return (await this.ask(query, false)).hits;
  }

  /** Hits of every target that can answer, and why the others cannot (SearchEngine.searchSections). */
  searchSections(query: SearchQuery): Promise<{ hits: SearchHit[]; unavailable: Unavailable[] }> {
    return this.ask(query, true);
  }

  private ask(query: SearchQuery, sections: boolean): Promise<{ hits: SearchHit[]; unavailable: Unavailable[] }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, query, sections } satisfies SearchRequest);
    });
  }

  async close(): Promise<void> {
    if (this.failure) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ id: -1, close: true } satisfies SearchRequest);
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }
}
