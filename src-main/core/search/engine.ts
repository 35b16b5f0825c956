// Search by anything: a text, an image or audio file (encoded by the catalog's encoder for that
// modality), or a catalog item (its stored vector). The query vector is mapped by a trained connector
// into each target modality's space (or compared directly within its own modality) and the nearest
// items of that collection come from a vector store: the local catalog (exact, IVF or int8 in this
// process) or PostgreSQL + pgvector (see ../store/store.ts).
import type { SearchHit } from '../../../src-shared/api.ts';
import { definedOnly } from '../../../src-shared/objects.ts';
import type { Modality, Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { EncoderRow } from '../catalog/repos/encoders.ts';
import type { RunConfig } from '../runs/config.ts';
import { servedFor } from '../runs/config.ts';
import { directionName } from '../model/altmoe.ts';
import { pickRun, servedStamp } from '../store/pick-run.ts';
import type { RowMapper } from '../model/row-mapper.ts';
import { galleryMapper, queryMapper } from '../model/served.ts';
import { normalizeRows } from '../index/exact.ts';
import { Encoder } from '../encoders/encoder.ts';
import { EncoderError } from '../encoders/errors.ts';
import { ALL_ZERO } from '../encoders/run-encoder.ts';
import { encoderSpec } from '../encoders/registry.ts';
import type { EncoderInput } from '../encoders/preprocess.ts';
import { unitRows, type GalleryFor } from '../store/gallery.ts';
import { reciprocalRankFusion, RRF_K } from './fusion.ts';
import { groupCopies, matchedWords, relevanceOf } from './presentation.ts';
import { ftsExpression, keywordMatches } from './keywords.ts';
import { LocalStore, type LocalStoreOptions } from '../store/local-store.ts';
import { PostgresStore } from '../store/postgres/pg-store.ts';
import type { PostgresSearchOptions } from '../store/postgres/pg-store.ts';
import type { Collection, StoredHit, VectorStore } from '../store/store.ts';

import { SearchError, UnavailableError, UnrecognisedQueryError, type Unavailable } from '../store/errors.ts';

export { SearchError, UnavailableError, type Unavailable };

/** What to search with: a catalog item, a text, or an image or audio file. */
export type QueryInput = { item: number } | { text: string } | { image: string } | { audio: string };

export interface SearchQuery extends Omit<ItemQuery, 'item'> {
  query: QueryInput;
  /** Encoder for a text/image/audio query searched within its own modality (default: the one with most vectors). */
  encoder?: string;
}

export interface ItemQuery {
  item: number;
  to: Modality[];
  /** Only items that belong to pairs of these splits (default: all). */
  splits?: Split[];
  k?: number;
  /** Only items of these datasets (default: all). */
  datasets?: string[];
  /** Drop results scoring below this cosine similarity. */
  minScore?: number;
  /** Connector run to map across modalities (default: the newest finished run with that direction). */
  run?: number;
  /** Text queries: fuse the semantic ranking with keyword matches (default true); false: semantic only. */
  hybrid?: boolean;
  /** Text queries' keyword matches: every media file name's words count, not only uncaptioned media's. */
  paths?: boolean;
  /** One hit per content (same file bytes, same caption text), the others listed as its copies (default true). */
  group?: boolean;
}

/** One result (the contract's type, shared with the renderer). */
export type { SearchHit };

export interface SearchOptions extends LocalStoreOptions, PostgresSearchOptions {
  /** A postgres:// URL: search the vectors pushed there (altmoe store push) instead of the local catalog. */
  store?: string;
}

export class SearchEngine {
  private readonly store: VectorStore;
  private readonly mappers = new Map<string, { checkpoint: string; mapper: Promise<RowMapper> }>();
  /** Query encoders, loaded on first use and kept per (encoder, model hash). */
  private readonly encoders = new Map<string, { encoder: Promise<Encoder> }>();

  constructor(
    private readonly catalog: Catalog,
    options: SearchOptions = {},
  ) {
    const gallery: GalleryFor = (run, target) => this.mapper(run, run.source, target, 'gallery');
    this.store = options.store ? new PostgresStore(catalog, options.store, options) : new LocalStore(catalog, gallery, options);
  }

  /** "More like this": the nearest items to a catalog item, in each target modality. */
  searchByItem(q: ItemQuery): Promise<SearchHit[]> {
    return this.search({ ...q, query: { item: q.item } });
  }

  async search(q: SearchQuery): Promise<SearchHit[]> {
    const source = this.sourceOf(q.query);
    if (q.to.length === 0) throw new SearchError('choose at least one target modality');
    const k = q.k ?? 10;
    if (!Number.isInteger(k) || k <= 0) throw new SearchError('k must be a positive integer');
    if (q.minScore !== undefined && !Number.isFinite(q.minScore)) throw new SearchError('the minimum score must be a number');
    for (const name of q.datasets ?? []) if (!this.catalog.datasets.get(name)) throw new SearchError(`no dataset named "${name}"`);
    const exclude = 'item' in q.query ? q.query.item : undefined;
    const hits: SearchHit[] = [];
    const words = 'text' in q.query && (q.hybrid ?? true) && ftsExpression(q.query.text) !== null ? q.query.text : null;
    const filters = { ...definedOnly({ datasets: q.datasets, splits: q.splits, paths: q.paths }), exclude };
    for (const target of q.to) {
      let planned: Awaited<ReturnType<SearchEngine['plan']>>;
      try {
        planned = await this.plan(q.query, source, target, q.run, q.encoder);
      } catch (err) {
        // No word the encoder knows (a name, a code, a rare word) while the words themselves match
        // captions or file names: those matches, in keyword rank order, rather than no answer.
        const matches = words !== null && err instanceof UnrecognisedQueryError ? keywordMatches(this.catalog, { text: words, modality: target, limit: k, ...filters }) : [];
        if (matches.length === 0) throw err;
        hits.push(...this.keywordOnly(matches));
        continue;
      }
      const { query, collection, via } = planned;
      const found = (want: number): Promise<StoredHit[]> =>
        words !== null ? this.hybrid(words, target, query, collection, want, { ...filters, minScore: q.minScore }) : this.store.nearest(collection, { vector: query, k: want, ...definedOnly({ datasets: q.datasets, splits: q.splits, minScore: q.minScore, exclude }) });
      hits.push(...(await this.distinct(found, k, q.group ?? true)).map((h) => ({ ...h, via })));
    }
    // Each hit shown by what goes with it: media by their first caption, captions by their media.
    const captions = this.catalog.pairs.firstCaptions(hits.filter((h) => h.modality !== 'text').map((h) => h.itemId));
    const media = this.catalog.pairs.mediaOf(hits.filter((h) => h.modality === 'text').map((h) => h.itemId));
    return hits.map((h) => {
      const caption = captions.get(h.itemId);
      const shown: SearchHit = caption !== undefined ? { ...h, caption } : media.has(h.itemId) ? { ...h, of: media.get(h.itemId)! } : h;
      if (words === null) return shown;
      // The words that made it match: in its text or caption, or in the file name of uncaptioned media.
      const matched = matchedWords(words, shown.text ?? shown.caption ?? (q.paths || caption === undefined ? shown.key : null));
      return matched.length > 0 ? { ...shown, matched } : shown;
    });
  }

  /**
   * The first k distinct contents of a ranked list: copies of one file (or one caption text) fold
   * into the first; when folding leaves fewer than k, the list is asked again, longer.
   */
  private async distinct(found: (want: number) => Promise<StoredHit[]>, k: number, group: boolean): Promise<StoredHit[]> {
    if (!group) return found(k);
    for (let want = k; ; want *= 2) {
      const list = await found(want);
      const content = this.catalog.items.contentOf(list.map((h) => h.itemId));
      const grouped = groupCopies(list.map((hit) => ({ hit: hit as SearchHit, content: content.get(hit.itemId) ?? null })));
      if (grouped.length >= k || list.length < want || want >= 8 * k) return grouped.slice(0, k);
    }
  }

  /**
   * A text query's semantic top items and its keyword matches (captions, file names), fused by
   * reciprocal rank; every hit keeps its cosine score, and says whether its words matched.
   */
  private async hybrid(text: string, target: Modality, query: Float32Array, collection: Collection, k: number, q: Pick<SearchQuery, 'datasets' | 'splits' | 'minScore' | 'paths'> & { exclude: number | undefined }): Promise<StoredHit[]> {
    const pool = Math.max(50, 3 * k);
    const filters = definedOnly({ datasets: q.datasets, splits: q.splits, exclude: q.exclude });
    const semantic = await this.store.nearest(collection, { vector: query, k: pool, ...filters });
    const keyword = keywordMatches(this.catalog, { text, modality: target, limit: pool, ...filters, ...definedOnly({ paths: q.paths }) });
    const byId = new Map(semantic.map((h) => [h.itemId, h]));
    // Keyword matches the semantic pool missed: scored in the collection's space, as the store
    // would (items without a current vector are not in the collection and drop out).
    for (const h of await this.scoreItems(collection, query, keyword.filter((id) => !byId.has(id)))) byId.set(h.itemId, h);
    const matched = new Set(keyword);
    const fused = reciprocalRankFusion([semantic.map((h) => h.itemId), keyword.filter((id) => byId.has(id))]);
    return fused
      .map((f) => ({ ...byId.get(f.id)!, keyword: matched.has(f.id), relevance: relevanceOf(f.score) }))
      .filter((h) => q.minScore === undefined || h.score >= q.minScore)
      .slice(0, k);
  }

  /** Keyword matches alone: no cosine to show (score 0), the words are why they are here. */
  private keywordOnly(ids: readonly number[]): SearchHit[] {
    const hit = this.hitMaker();
    return ids.map((id, rank) => ({ ...hit(id, 0), keyword: true, relevance: relevanceOf(1 / (RRF_K + rank + 1), 1), via: 'its words (the encoder knows none of them)' }));
  }

  /** A stored hit for an item id and its score (the dataset names read once per call). */
  private hitMaker(): (id: number, score: number) => StoredHit {
    const datasets = new Map(this.catalog.datasets.list().map((d) => [d.id, d.name]));
    return (id, score) => {
      const item = this.catalog.items.getById(id)!;
      return { itemId: id, dataset: datasets.get(item.dataset_id) ?? '?', modality: item.modality, key: item.key, path: item.path, text: item.text, score };
    };
  }

  /** Items of a collection with their cosine to a query in its space (the store's score, computed here). */
  private async scoreItems(collection: Collection, query: Float32Array, ids: readonly number[]): Promise<StoredHit[]> {
    const enc = collection.encoder;
    const rows = ids.flatMap((id) => {
      const v = this.catalog.embeddings.get(enc.id, id);
      return v ? [{ id, v }] : [];
    });
    if (rows.length === 0) return [];
    const raw = new Float32Array(rows.length * enc.dim);
    rows.forEach((r, i) => raw.set(r.v, i * enc.dim));
    const mapper = collection.run ? await this.mapper(collection.run, collection.run.source, enc.modality, 'gallery') : null;
    const unit = await unitRows(raw, enc.dim, mapper);
    const dim = unit.length / rows.length;
    const hit = this.hitMaker();
    return rows.map((r, i) => {
      let score = 0;
      for (let j = 0; j < dim; j++) score += unit[i * dim + j]! * query[j]!;
      return hit(r.id, score);
    });
  }

  /**
   * A search over several target modalities that answers with what it can: each modality that
   * cannot be searched (no encoder, vectors or connector) is reported with why and what fixes it,
   * instead of failing the whole query. Problems of the query itself still fail it.
   */
  async searchSections(q: SearchQuery): Promise<{ hits: SearchHit[]; unavailable: Unavailable[] }> {
    const hits: SearchHit[] = [];
    const unavailable: Unavailable[] = [];
    for (const target of q.to) {
      try {
        hits.push(...(await this.search({ ...q, to: [target] })));
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err;
        unavailable.push({ modality: target, reason: err.message, fix: err.fix });
      }
    }
    return { hits, unavailable };
  }

  /** Releases the query encoders and connector sessions this engine holds. */
  async close(): Promise<void> {
    for (const e of this.encoders.values()) await (await e.encoder.catch(() => null))?.close();
    for (const m of this.mappers.values()) await (await m.mapper.catch(() => null))?.release();
    await this.store.close();
    this.encoders.clear();
    this.mappers.clear();
  }

  private sourceOf(input: QueryInput): Modality {
    if ('item' in input) {
      const item = this.catalog.items.getById(input.item);
      if (!item) throw new SearchError(`no item ${input.item} in the catalog`);
      return item.modality;
    }
    if ('text' in input) {
      if (typeof input.text !== 'string' || input.text.trim() === '') throw new SearchError('the query text is empty');
      return 'text';
    }
    return 'image' in input ? 'image' : 'audio';
  }

  /** The query's vector from a given encoder: stored for an item, computed for a text or file. */
  private async queryVector(input: QueryInput, enc: EncoderRow): Promise<Float32Array> {
    if ('item' in input) {
      const vec = this.catalog.embeddings.get(enc.id, input.item);
      if (!vec) throw new SearchError(`item ${input.item} has no vector of encoder "${enc.name}" (embed it first)`);
      return vec;
    }
    const key = `${enc.id}:${enc.file_hash}`;
    let cached = this.encoders.get(key);
    if (!cached) {
      let spec;
      try {
        spec = encoderSpec(enc);
      } catch (err) {
        throw new SearchError((err as Error).message);
      }
      cached = { encoder: Encoder.open(spec) };
      this.encoders.set(key, cached);
    }
    const encoder = await cached.encoder.catch((err: Error) => {
      this.encoders.delete(key);
      throw new SearchError(`cannot load encoder "${enc.name}": ${err.message}`);
    });
    const what: EncoderInput = 'text' in input ? { text: input.text } : { file: 'image' in input ? input.image : input.audio };
    try {
      return await encoder.encodeOne(what);
    } catch (err) {
      if (err instanceof EncoderError) throw new (err.message.includes(ALL_ZERO) ? UnrecognisedQueryError : SearchError)(`cannot use this query: ${err.message}`);
      throw err;
    }
  }

  /** The encoder a text/image/audio query uses within its own modality. */
  private queryEncoder(modality: Modality, name?: string): EncoderRow {
    const all = this.catalog.encoders.list().filter((e) => e.modality === modality);
    if (name !== undefined) {
      const e = all.find((x) => x.name === name);
      if (!e) throw new SearchError(`no ${modality} encoder named "${name}"`);
      return e;
    }
    const usable = all.filter((e) => (JSON.parse(e.meta) as { kind?: string }).kind === 'onnx-folder');
    if (usable.length === 0) throw new UnavailableError(`no ${modality} encoder that can encode a query: add one with "altmoe encoder add DIR"`, 'add-encoder');
    return usable.map((e) => ({ e, n: this.catalog.embeddings.count(e.id) })).sort((a, b) => b.n - a.n)[0]!.e;
  }

  /** The query vector in the target's space, the collection to search, and how it got there. */
  private async plan(input: QueryInput, source: Modality, target: Modality, runId?: number, encoderName?: string): Promise<{ query: Float32Array; collection: Collection; via: string }> {
    // Within one modality the encoder's own space answers; a run maps between modalities.
    if (source === target) {
      const enc = 'item' in input ? this.encoderWithVector(input.item, source) : this.queryEncoder(source, encoderName);
      return { query: normalizeRows(await this.queryVector(input, enc), enc.dim), collection: { encoder: enc, run: null, served: '' }, via: `same space (${enc.name})` };
    }
    const run = pickRun(this.catalog, source, target, runId);
    const srcEnc = this.catalog.encoders.get(run.config.encoders[source]!.name)!;
    const tgtEnc = this.catalog.encoders.get(run.config.encoders[target]!.name)!;
    const vec = await this.queryVector(input, srcEnc);
    const mapper = await this.mapper(run, source, target, 'query');
    const mapped = await mapper.map(vec);
    const collection: Collection = { encoder: tgtEnc, run: { id: run.id, config: run.config, source }, served: servedStamp(this.catalog, run) };
    return { query: normalizeRows(mapped, mapper.dim), collection, via: `${directionName(source, target)} (run ${run.id})` };
  }

  /**
   * The run's inference session for a direction, built once and kept while the run's best
   * checkpoint stays the same (building a graph and a session per query would dominate a search).
   */
  private async mapper(run: { id: number; config: RunConfig }, source: Modality, target: Modality, side: 'query' | 'gallery'): Promise<RowMapper> {
    // What the run serves (the connector, or its auto ensemble) through the graphs evaluation and export use.
    const key = `${run.id}:${source}->${target}:${side}`;
    const checkpoint = servedStamp(this.catalog, run);
    const cached = this.mappers.get(key);
    if (cached && cached.checkpoint === checkpoint) return cached.mapper;
    if (cached) await (await cached.mapper).release();
    const what = servedFor(run.config, source, target);
    const mapper = side === 'query' ? queryMapper(what, source, target) : galleryMapper(what, target);
    this.mappers.set(key, { checkpoint, mapper });
    return mapper;
  }

  private encoderWithVector(itemId: number, modality: Modality): EncoderRow {
    const encoders = this.catalog.encoders.list().filter((e) => e.modality === modality);
    if (encoders.length === 0) throw new UnavailableError(`no ${modality} encoder in the catalog`, 'add-encoder');
    const enc = encoders.find((e) => this.catalog.embeddings.get(e.id, itemId));
    if (!enc) throw new UnavailableError(`item ${itemId} has no current vector of any ${modality} encoder (embed it first)`, 'embed');
    return enc;
  }
}

export { servedStamp, valScoreOf } from '../store/pick-run.ts';
