// Search by anything: a text, an image or audio file (encoded by the catalog's encoder for that
// modality), or a catalog item (its stored vector). The query vector is mapped by a trained connector
// into each target modality's space (or compared directly within its own modality) and the nearest
// items are ranked exactly (blocked matrix products + top-k in ONNX Runtime), or through an IVF index
// for large catalogs. Indexes are kept in memory per (encoder, model hash, connector run) and rebuilt
// when the catalog's vectors change.
import { UserError } from '../errors.ts';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { SearchHit } from '../../../src-shared/api.ts';
import type { Modality, Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { EncoderRow } from '../catalog/repos/encoders.ts';
import type { RunConfig } from '../connector/run.ts';
import { parseRunConfig, runParams, servedFor } from '../connector/run.ts';
import { directionName } from '../model/altmoe.ts';
import type { RowMapper } from '../model/row-mapper.ts';
import { galleryMapper, queryMapper } from '../model/served.ts';
import { normalizeRows, topKScored } from '../model/retrieval.ts';
import { Encoder } from '../encoders/encoder.ts';
import { EncoderError } from '../encoders/errors.ts';
import { encoderSpec } from '../encoders/registry.ts';
import type { EncoderInput } from '../encoders/preprocess.ts';
import { buildIvf, loadIvf, saveIvf, searchIvf, type IvfIndex } from './ivf.ts';
import { buildInt8Scorer, candidateCount, quantizeRows, topKInt8, type Int8Scorer } from './quantized.ts';

export class SearchError extends UserError {}

/**
 * One target modality cannot be searched from this query (no connector for the pair, no encoder or
 * vectors for it): a multi-modality search reports it beside the sections that can answer.
 */
export class UnavailableError extends SearchError {
  constructor(
    message: string,
    /** What would make it searchable. */
    readonly fix: 'add-encoder' | 'embed' | 'train',
  ) {
    super(message);
  }
}

export interface Unavailable {
  modality: Modality;
  reason: string;
  fix: UnavailableError['fix'];
}

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
}

/** One result (the contract's type, shared with the renderer). */
export type { SearchHit };

interface Index {
  ids: Int32Array;
  datasets: Int32Array;
  /** Unit vectors as searched: float32 rows, or (int8 storage) codes plus a way to fetch exact rows. */
  vectors: Float32Array | null;
  int8: { scorer: Promise<Int8Scorer>; exact: (rows: Int32Array) => Promise<Float32Array> } | null;
  dim: number;
  /** Which vectors (encoder and run) it holds, and what they were built from, to notice a change. */
  key: string;
  stamp: string;
  /** Built on first use once the index holds annThreshold vectors or more. */
  ivf?: Promise<IvfIndex>;
}

export interface SearchOptions {
  /** From this many vectors on, search an IVF index instead of every vector (default 250,000). */
  annThreshold?: number;
  /** Lists probed per query (default 12). */
  nprobe?: number;
  /** Folder for IVF lists, so a restart does not redo the k-means (default: none, rebuilt per process). */
  cacheDir?: string;
  /**
   * How vectors are kept in memory: float32 (default), or int8 (a quarter of the memory; every vector
   * is scored from its codes, the best candidates re-scored exactly, so returned scores are exact).
   * int8 indexes are always scanned in full, never through IVF.
   */
  storage?: 'float32' | 'int8';
}

export class SearchEngine {
  private readonly indexes = new Map<string, Index>();
  private readonly mappers = new Map<string, { checkpoint: string; mapper: Promise<RowMapper> }>();
  /** Query encoders, loaded on first use and kept per (encoder, model hash). */
  private readonly encoders = new Map<string, { encoder: Promise<Encoder> }>();

  constructor(
    private readonly catalog: Catalog,
    private readonly options: SearchOptions = {},
  ) {}

  /**
   * The k best rows of an index for a unit query, best first, among the rows `keep` accepts (all when
   * absent): exact below the size threshold, IVF above it, or int8 candidates re-scored exactly.
   */
  private async rank(index: Index, query: Float32Array, k: number, keep?: (row: number) => boolean): Promise<{ rows: Int32Array; scores: Float32Array }> {
    const n = index.ids.length;
    // With a filter, rank everything and filter afterwards.
    const want = keep ? n : Math.min(n, k);
    let ranked: { rows: Int32Array; scores: Float32Array };
    if (index.int8) {
      let candidates = await topKInt8(await index.int8.scorer, query, keep ? n : candidateCount(k, n));
      if (keep) candidates = candidates.filter(keep).slice(0, candidateCount(k, n));
      ranked = rescore(await index.int8.exact(candidates), candidates, query, index.dim);
    } else if (n < (this.options.annThreshold ?? 250_000)) {
      const r = await topKScored(query, index.vectors!, index.dim, want);
      ranked = { rows: r.indices, scores: r.scores };
    } else {
      index.ivf ??= this.ivfFor(index);
      ranked = await searchIvf(await index.ivf, query, want, this.options.nprobe ?? 12);
    }
    if (!keep) return ranked;
    const at = [...ranked.rows.keys()].filter((i) => keep(ranked.rows[i]!)).slice(0, k);
    return { rows: Int32Array.from(at, (i) => ranked.rows[i]!), scores: Float32Array.from(at, (i) => ranked.scores[i]!) };
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
    const allowed = this.filter(q.datasets, q.splits);
    const self = 'item' in q.query ? q.query.item : -1;
    const hits: SearchHit[] = [];
    for (const target of q.to) {
      const { query, index, via } = await this.plan(q.query, source, target, q.run, q.encoder);
      // One extra for the query itself, which is never returned.
      const keep = allowed ? (row: number) => allowed(index.ids[row]!, index.datasets[row]!) : undefined;
      const { rows, scores } = await this.rank(index, query, k + 1, keep);
      let n = 0;
      for (let i = 0; i < rows.length && n < k; i++) {
        const row = rows[i]!;
        const id = index.ids[row]!;
        if (id === self) continue;
        const score = scores[i]!;
        if (q.minScore !== undefined && score < q.minScore) break;
        const hit = this.catalog.items.getById(id)!;
        hits.push({ itemId: id, dataset: this.catalog.datasets.getById(hit.dataset_id)!.name, modality: hit.modality, key: hit.key, path: hit.path, text: hit.text, score, via });
        n++;
      }
    }
    return hits;
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
    for (const i of this.indexes.values()) if (i.int8) await releaseScorer(i.int8.scorer);
    this.encoders.clear();
    this.mappers.clear();
    this.indexes.clear();
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

  /** A predicate over (item id, dataset id) for the dataset and split filters, or null for none. */
  private filter(datasets?: string[], splits?: Split[]): ((id: number, dataset: number) => boolean) | null {
    const datasetIds = datasets?.map((name) => {
      const d = this.catalog.datasets.get(name);
      if (!d) throw new SearchError(`no dataset named "${name}"`);
      return d.id;
    });
    const inSplits = splits && splits.length > 0 ? this.catalog.pairs.itemsInSplits(splits) : null;
    if (!datasetIds && !inSplits) return null;
    return (id, dataset) => (!datasetIds || datasetIds.includes(dataset)) && (!inSplits || inSplits.has(id));
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
      if (err instanceof EncoderError) throw new SearchError(`cannot use this query: ${err.message}`);
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

  /** IVF lists over a float32 index (int8 indexes are scanned in full). */
  private async ivfFor(index: Index): Promise<IvfIndex> {
    const vectors = index.vectors!;
    const file = this.options.cacheDir && path.join(this.options.cacheDir, `ivf-${createHash('sha256').update(index.key).digest('hex').slice(0, 16)}.safetensors`);
    const saved = file ? loadIvf(file, vectors, index.dim, index.stamp) : null;
    if (saved) return saved;
    const n = index.ids.length;
    const built = await buildIvf(vectors, index.dim, { lists: Math.min(4096, Math.max(16, Math.round(2 * Math.sqrt(n)))), seed: 1 });
    if (file) saveIvf(file, built, index.stamp);
    return built;
  }

  /** The query vector in the target's space, the target index, and how it got there. */
  private async plan(input: QueryInput, source: Modality, target: Modality, runId?: number, encoderName?: string): Promise<{ query: Float32Array; index: Index; via: string }> {
    // Within one modality the encoder's own space answers; a run maps between modalities.
    if (source === target) {
      const enc = 'item' in input ? this.encoderWithVector(input.item, source) : this.queryEncoder(source, encoderName);
      const index = await this.index(enc, null);
      return { query: normalizeRows(await this.queryVector(input, enc), enc.dim), index, via: `same space (${enc.name})` };
    }
    const run = this.pickRun(source, target, runId);
    const srcEnc = this.catalog.encoders.get(run.config.encoders[source]!.name)!;
    const tgtEnc = this.catalog.encoders.get(run.config.encoders[target]!.name)!;
    const vec = await this.queryVector(input, srcEnc);
    const mapper = await this.mapper(run, source, target, 'query');
    const mapped = await mapper.map(vec);
    return { query: normalizeRows(mapped, mapper.dim), index: await this.index(tgtEnc, { id: run.id, config: run.config, source }), via: `${directionName(source, target)} (run ${run.id})` };
  }

  /**
   * The run's inference session for a direction, built once and kept while the run's best
   * checkpoint stays the same (building a graph and a session per query would dominate a search).
   */
  private async mapper(run: { id: number; config: RunConfig }, source: Modality, target: Modality, side: 'query' | 'gallery'): Promise<RowMapper> {
    // What the run serves (the connector, or its auto ensemble) through the graphs evaluation and export use.
    const key = `${run.id}:${source}->${target}:${side}`;
    const served = createHash('sha256').update(JSON.stringify(run.config.served ?? null)).digest('hex').slice(0, 16);
    const checkpoint = `${this.catalog.checkpoints.latest(run.id)?.hash ?? 'last'}:${served}`;
    const cached = this.mappers.get(key);
    if (cached && cached.checkpoint === checkpoint) return cached.mapper;
    if (cached) await (await cached.mapper).release();
    const what = servedFor(run.config, runParams(run.config), source, target);
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

  private pickRun(source: Modality, target: Modality, runId?: number): { id: number; config: RunConfig } {
    const covers = (c: RunConfig): boolean => c.pairs.some(([a, b]) => (a === source && b === target) || (a === target && b === source));
    const current = (c: RunConfig): boolean =>
      [source, target].every((m) => {
        const e = c.encoders[m] && this.catalog.encoders.get(c.encoders[m]!.name);
        return e !== undefined && e.file_hash === c.encoders[m]!.hash;
      });
    if (runId !== undefined) {
      const row = this.catalog.runs.get(runId);
      if (!row) throw new SearchError(`no run ${runId}`);
      const config = parseRunConfig(this.catalog, row.config);
      if (!covers(config)) throw new UnavailableError(`run ${runId} was not trained for ${source} -> ${target}`, 'train');
      if (!current(config)) throw new SearchError(`run ${runId} was trained on vectors of another encoder model; train a new run`);
      return { id: runId, config };
    }
    // The default is the run that scored best on validation for this pair, never merely the newest.
    const candidates = this.catalog.runs
      .list()
      .filter((r) => r.status === 'done')
      .map((r) => ({ id: r.id, config: parseRunConfig(this.catalog, r.config) }))
      .filter((r) => covers(r.config) && current(r.config));
    if (candidates.length === 0) {
      if (!this.catalog.encoders.list().some((e) => e.modality === target)) throw new UnavailableError(`no ${target} encoder in the catalog: add one, embed, then train the pair ${source}:${target}`, 'add-encoder');
      throw new UnavailableError(`no trained connector for ${source} -> ${target} yet: train the pair ${source}:${target} first`, 'train');
    }
    return candidates.map((r) => ({ ...r, score: valScoreOf(this.catalog, r.id, r.config, source, target) })).reduce((best, r) => (r.score > best.score || (r.score === best.score && r.id > best.id) ? r : best));
  }

  /**
   * Unit-length vectors of every item of the encoder's modality (standardised with the run's
   * statistics when searching through a connector). Stale vectors never enter: only rows whose hash
   * is the encoder's current one are read.
   */
  private async index(enc: EncoderRow, run: { id: number; config: RunConfig; source: Modality } | null): Promise<Index> {
    // A run's gallery depends on the pair it serves (e.g. text as the target of image or of audio).
    const key = `${enc.id}:${run ? `${run.id}:${run.source}` : '-'}`;
    const stamp = `${enc.file_hash}:${this.catalog.embeddings.generation()}`;
    const cached = this.indexes.get(key);
    if (cached && cached.stamp === stamp) return cached;
    // The replaced index's int8 codes live in ORT (not the JS heap): free them explicitly.
    if (cached?.int8) void releaseScorer(cached.int8.scorer);
    const rows = [...this.catalog.embeddings.iterateModality(enc.id, enc.modality)];
    const ids = new Int32Array(rows.length);
    const datasets = new Int32Array(rows.length);
    const raw = new Float32Array(rows.length * enc.dim);
    rows.forEach((r, i) => {
      ids[i] = r.itemId;
      datasets[i] = r.datasetId;
      new Uint8Array(raw.buffer, i * enc.dim * 4, enc.dim * 4).set(r.vector);
    });
    // Through a run, items are compared as the run serves them (its gallery graph); then cosine (unit rows).
    const gallery = run && (await this.mapper(run, run.source, enc.modality, 'gallery'));
    const dim = gallery?.dim ?? enc.dim;
    const transform = async (x: Float32Array): Promise<Float32Array> => normalizeRows(gallery ? await gallery.map(x) : x, dim);
    const unit = await transform(raw);
    // int8 keeps only the codes in memory; the few candidates per query are read back exactly.
    const exact = (picked: Int32Array): Promise<Float32Array> => {
      const out = new Float32Array(picked.length * enc.dim);
      picked.forEach((r, i) => out.set(this.catalog.embeddings.get(enc.id, ids[r]!) ?? new Float32Array(enc.dim), i * enc.dim));
      return transform(out);
    };
    const int8 = this.options.storage === 'int8' ? { scorer: buildInt8Scorer(quantizeRows(unit, dim)), exact } : null;
    const index: Index = { ids, datasets, vectors: int8 ? null : unit, int8, dim, key, stamp };
    this.indexes.set(key, index);
    return index;
  }
}

/** Exact dot products of candidate rows with the query, re-ranked best first. */
function rescore(vectors: Float32Array, rows: Int32Array, query: Float32Array, dim: number): { rows: Int32Array; scores: Float32Array } {
  const scored = [...rows].map((row, i) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += vectors[i * dim + j]! * query[j]!;
    return { row, s };
  });
  scored.sort((a, b) => b.s - a.s);
  return { rows: Int32Array.from(scored, (x) => x.row), scores: Float32Array.from(scored, (x) => x.s) };
}

async function releaseScorer(scorer: Promise<Int8Scorer>): Promise<void> {
  await (await scorer.catch(() => null))?.session.release();
}

/**
 * A run's validation score for a pair: what an auto run serves (its ensemble's val score), else
 * the best val score it recorded; -1 when it has none (it then loses to any scored run).
 */
export function valScoreOf(catalog: Catalog, runId: number, config: RunConfig, a: Modality, b: Modality): number {
  const pair = config.pairs.find(([x, y]) => (x === a && y === b) || (x === b && y === a))!;
  const metrics = catalog.metrics.forRun(runId);
  const served = metrics.find((m) => m.split === `val.${pair[0]}-${pair[1]}.served` && m.name === 'score');
  if (served) return served.value;
  return metrics.filter((m) => m.split === 'val' && m.name === 'score').reduce((best, m) => Math.max(best, m.value), -1);
}
