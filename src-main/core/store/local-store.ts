// The local vector store: the catalog's own vectors, ranked in this process. Exact (blocked matrix
// products + top-k in ONNX Runtime) below a size threshold, through IVF lists (or an HNSW graph)
// above it, or from int8 codes with the best candidates re-scored exactly. Indexes are kept in
// memory per collection and rebuilt when the catalog's vectors or the run's served model change.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { definedOnly } from '../../../src-shared/objects.ts';
import type { Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { topKScored } from '../index/exact.ts';
import { UserError } from '../util/errors.ts';
import { buildHnsw, loadHnsw, saveHnsw, searchHnsw, type HnswIndex } from '../index/hnsw.ts';
import { buildIvf, defaultListCount, loadIvf, saveIvf, searchIvf, type IvfIndex } from '../index/ivf.ts';
import { buildInt8Scorer, candidateCount, quantizeRows, topKInt8, type Int8Scorer } from '../index/quantized.ts';
import { collectionRows, unitRows, type GalleryFor, type RowBlock } from './gallery.ts';
import { collectionName, type Collection, type NearestQuery, type StoredHit, type VectorStore } from './store.ts';
import { concatArrays } from '../util/arrays.ts';

export interface LocalStoreOptions {
  /** From this many vectors on, search an approximate index instead of every vector (default 250,000). */
  annThreshold?: number;
  /**
   * The approximate index: the IVF lists of index/ivf.ts (default) or an HNSW graph (USearch).
   * IVF is the default because bench:search measured it ahead: at 1M topic-structured vectors it
   * reached recall@10 0.97 on cross-modal queries at 1.7 ms, where no HNSW setting reached 0.95.
   */
  ann?: 'ivf' | 'hnsw';
  /** HNSW candidates per query (default 128): recall against speed. */
  efSearch?: number;
  /**
   * IVF lists probed per query (default 12, of defaultListCount(n)): bench:ivf-nprobe measures the
   * recall this gives on cross-modal queries at 250k and 1M vectors.
   */
  nprobe?: number;
  /** Folder for built indexes, so a restart does not rebuild them (default: none, rebuilt per process). */
  cacheDir?: string;
  /**
   * How vectors are kept in memory: float32 (default), or int8 (a quarter of the memory; every vector
   * is scored from its codes, the best candidates re-scored exactly, so returned scores are exact).
   * int8 indexes are always scanned in full, never through IVF.
   */
  storage?: 'float32' | 'int8';
}

interface Index {
  ids: Int32Array;
  datasets: Int32Array;
  /** Unit vectors as searched: float32 rows, or (int8 storage) codes plus a way to fetch exact rows. */
  vectors: Float32Array | null;
  int8: { scorer: Promise<Int8Scorer>; exact: (rows: Int32Array) => Promise<Float32Array> } | null;
  dim: number;
  /** Which collection it holds, and what it was built from, to notice a change. */
  key: string;
  stamp: string;
  /** Built on first use once the index holds annThreshold vectors or more. */
  ivf?: Promise<IvfIndex>;
  hnsw?: HnswIndex;
}

export class LocalStore implements VectorStore {
  readonly describe = 'the local catalog';
  private readonly indexes = new Map<string, Index>();

  constructor(
    private readonly catalog: Catalog,
    private readonly gallery: GalleryFor,
    private readonly options: LocalStoreOptions = {},
  ) {}

  async nearest(c: Collection, q: NearestQuery): Promise<StoredHit[]> {
    const index = await this.index(c);
    const allowed = this.filter(q.datasets, q.splits);
    const keep = allowed ? (row: number): boolean => allowed(index.ids[row]!, index.datasets[row]!) : undefined;
    // One extra for the excluded item (the query itself).
    const { rows, scores } = await this.rank(index, q.vector, q.k + (q.exclude === undefined ? 0 : 1), keep);
    const hits: StoredHit[] = [];
    for (let i = 0; i < rows.length && hits.length < q.k; i++) {
      const id = index.ids[rows[i]!]!;
      if (id === q.exclude) continue;
      const score = scores[i]!;
      if (q.minScore !== undefined && score < q.minScore) break;
      const item = this.catalog.items.getById(id)!;
      hits.push({ itemId: id, dataset: this.catalog.datasets.getById(item.dataset_id)!.name, modality: item.modality, key: item.key, path: item.path, text: item.text, score });
    }
    return hits;
  }

  async close(): Promise<void> {
    for (const i of this.indexes.values()) if (i.int8) await releaseScorer(i.int8.scorer);
    this.indexes.clear();
  }

  /**
   * The k best rows of an index for a unit query, best first, among the rows `keep` accepts (all when
   * absent): exact below the size threshold, IVF (or HNSW) above it, or int8 candidates re-scored exactly.
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
    } else if (n < (this.options.annThreshold ?? 250_000) || keep) {
      // Filtered searches rank every vector exactly: an approximate index would return only the
      // few candidates near the query, of which a selective filter may leave none.
      const r = await topKScored(query, index.vectors!, index.dim, want);
      ranked = { rows: r.indices, scores: r.scores };
    } else if (this.options.ann === 'hnsw') {
      index.hnsw ??= this.hnswFor(index);
      ranked = searchHnsw(index.hnsw, query, want);
    } else {
      index.ivf ??= this.ivfFor(index);
      ranked = await searchIvf(await index.ivf, query, want, this.options.nprobe ?? 12);
    }
    if (!keep) return ranked;
    const at = [...ranked.rows.keys()].filter((i) => keep(ranked.rows[i]!)).slice(0, k);
    return { rows: Int32Array.from(at, (i) => ranked.rows[i]!), scores: Float32Array.from(at, (i) => ranked.scores[i]!) };
  }

  /** A predicate over (item id, dataset id) for the dataset and split filters, or null for none. */
  private filter(datasets?: string[], splits?: Split[]): ((id: number, dataset: number) => boolean) | null {
    const datasetIds = datasets?.map((name) => {
      const d = this.catalog.datasets.get(name);
      if (!d) throw new UserError(`no dataset named "${name}"`);
      return d.id;
    });
    const inSplits = splits && splits.length > 0 ? this.catalog.pairs.itemsInSplits(splits) : null;
    if (!datasetIds && !inSplits) return null;
    return (id, dataset) => (!datasetIds || datasetIds.includes(dataset)) && (!inSplits || inSplits.has(id));
  }

  /** IVF lists over a float32 index (int8 indexes are scanned in full). */
  private async ivfFor(index: Index): Promise<IvfIndex> {
    const vectors = index.vectors!;
    const file = this.options.cacheDir && path.join(this.options.cacheDir, `ivf-${createHash('sha256').update(index.key).digest('hex').slice(0, 16)}.safetensors`);
    const saved = file ? loadIvf(file, vectors, index.dim, index.stamp) : null;
    if (saved) return saved;
    const n = index.ids.length;
    const built = await buildIvf(vectors, index.dim, { lists: defaultListCount(n), seed: 1 });
    if (file) saveIvf(file, built, index.stamp);
    return built;
  }

  /** The HNSW graph over a float32 index, loaded from the cache folder when it is still current. */
  private hnswFor(index: Index): HnswIndex {
    const vectors = index.vectors!;
    const file = this.options.cacheDir && path.join(this.options.cacheDir, `hnsw-${createHash('sha256').update(index.key).digest('hex').slice(0, 16)}.usearch`);
    const o = definedOnly({ expansionSearch: this.options.efSearch });
    const saved = file ? loadHnsw(file, vectors, index.dim, index.stamp, o) : null;
    if (saved) return saved;
    const built = buildHnsw(vectors, index.dim, o);
    if (file) saveHnsw(file, built, index.stamp);
    return built;
  }

  /**
   * Unit-length vectors of every item of the collection (through the run's gallery graph when it
   * has a run). Stale vectors never enter: only rows whose hash is the encoder's current one are read.
   */
  private async index(c: Collection): Promise<Index> {
    const enc = c.encoder;
    // A run's gallery depends on the pair it serves (e.g. text as the target of image or of audio).
    const key = `${enc.id}:${c.run ? `${c.run.id}:${c.run.source}` : '-'}`;
    const stamp = `${collectionName(c)}:${this.catalog.embeddings.generation()}`;
    const cached = this.indexes.get(key);
    if (cached && cached.stamp === stamp) return cached;
    // The replaced index's int8 codes live in ORT (not the JS heap): free them explicitly.
    if (cached?.int8) void releaseScorer(cached.int8.scorer);
    // The same rows, in the same order and form, that a store push copies.
    const blocks: RowBlock[] = [];
    // Each block's raw bytes are dropped at once: only the unit rows are kept.
    for await (const block of collectionRows(this.catalog, c, this.gallery, 65_536)) blocks.push({ ...block, raw: [] });
    const ids = concatArrays(blocks.map((b) => b.ids), Int32Array);
    const datasets = concatArrays(blocks.map((b) => b.datasets), Int32Array);
    const unit = concatArrays(blocks.map((b) => b.unit), Float32Array);
    const mapper = c.run && (await this.gallery(c.run, enc.modality));
    const dim = mapper?.dim ?? enc.dim;
    // int8 keeps only the codes in memory; the few candidates per query are read back exactly.
    const exact = (picked: Int32Array): Promise<Float32Array> => {
      const out = new Float32Array(picked.length * enc.dim);
      picked.forEach((r, i) => out.set(this.catalog.embeddings.get(enc.id, ids[r]!) ?? new Float32Array(enc.dim), i * enc.dim));
      return unitRows(out, enc.dim, mapper);
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

