// Search by catalog item: the query item's stored vector is mapped by a trained connector into each
// target modality's space (or compared directly within its own modality) and the nearest items are
// ranked exactly (blocked matrix products + top-k in ONNX Runtime). Indexes are kept in memory per
// (encoder, model hash, connector run) and rebuilt when the catalog's vectors change.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Modality } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { EncoderRow } from '../catalog/repos/encoders.ts';
import type { RunConfig } from '../connector/run.ts';
import { runParams } from '../connector/run.ts';
import { altMoeModel, directionName, normParams } from '../model/altmoe.ts';
import { directionMapper, standardise, type DirectionMapper } from '../model/evaluate.ts';
import { normalizeRows, topKScored } from '../model/retrieval.ts';
import { buildIvf, loadIvf, saveIvf, searchIvf, type IvfIndex } from './ivf.ts';

export class SearchError extends Error {}

export interface ItemQuery {
  item: number;
  to: Modality[];
  k?: number;
  /** Only items of these datasets (default: all). */
  datasets?: string[];
  /** Drop results scoring below this cosine similarity. */
  minScore?: number;
  /** Connector run to map across modalities (default: the newest finished run with that direction). */
  run?: number;
}

export interface SearchHit {
  itemId: number;
  dataset: string;
  modality: Modality;
  key: string;
  path: string | null;
  text: string | null;
  score: number;
  /** 'same space (encoder)' or 'image->text (run 3)' */
  via: string;
}

interface Index {
  ids: Int32Array;
  datasets: Int32Array;
  vectors: Float32Array;
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
}

export class SearchEngine {
  private readonly indexes = new Map<string, Index>();
  private readonly mappers = new Map<string, { checkpoint: string; mapper: Promise<DirectionMapper> }>();

  constructor(
    private readonly catalog: Catalog,
    private readonly options: SearchOptions = {},
  ) {}

  /** The k best rows of an index for a unit query: exact below the threshold, IVF above it. */
  private async rank(index: Index, query: Float32Array, k: number): Promise<{ rows: Int32Array; scores: Float32Array }> {
    const n = index.ids.length;
    if (n < (this.options.annThreshold ?? 250_000)) {
      const r = await topKScored(query, index.vectors, index.dim, Math.min(n, k));
      return { rows: r.indices, scores: r.scores };
    }
    index.ivf ??= this.ivfFor(index);
    return searchIvf(await index.ivf, query, Math.min(n, k), this.options.nprobe ?? 12);
  }

  async searchByItem(q: ItemQuery): Promise<SearchHit[]> {
    const item = this.catalog.items.getById(q.item);
    if (!item) throw new SearchError(`no item ${q.item} in the catalog`);
    if (q.to.length === 0) throw new SearchError('choose at least one target modality');
    const k = q.k ?? 10;
    if (!Number.isInteger(k) || k <= 0) throw new SearchError('k must be a positive integer');
    const datasetIds = q.datasets?.map((name) => {
      const d = this.catalog.datasets.get(name);
      if (!d) throw new SearchError(`no dataset named "${name}"`);
      return d.id;
    });
    const hits: SearchHit[] = [];
    for (const target of q.to) {
      const { query, index, via } = await this.plan(item.id, item.modality, target, q.run);
      // One extra for the query itself; with a dataset filter, everything (filtered afterwards).
      const { rows, scores } = await this.rank(index, query, datasetIds ? index.ids.length : k + 1);
      let n = 0;
      for (let i = 0; i < rows.length && n < k; i++) {
        const row = rows[i]!;
        const id = index.ids[row]!;
        if (id === item.id) continue; // never return the query itself
        if (datasetIds && !datasetIds.includes(index.datasets[row]!)) continue;
        const score = scores[i]!;
        if (q.minScore !== undefined && score < q.minScore) break;
        const hit = this.catalog.items.getById(id)!;
        hits.push({ itemId: id, dataset: this.catalog.datasets.getById(hit.dataset_id)!.name, modality: hit.modality, key: hit.key, path: hit.path, text: hit.text, score, via });
        n++;
      }
    }
    return hits;
  }

  private async ivfFor(index: Index): Promise<IvfIndex> {
    const file = this.options.cacheDir && path.join(this.options.cacheDir, `ivf-${createHash('sha256').update(index.key).digest('hex').slice(0, 16)}.safetensors`);
    const saved = file ? loadIvf(file, index.vectors, index.dim, index.stamp) : null;
    if (saved) return saved;
    const n = index.ids.length;
    const built = await buildIvf(index.vectors, index.dim, { lists: Math.min(4096, Math.max(16, Math.round(2 * Math.sqrt(n)))), seed: 1 });
    if (file) saveIvf(file, built, index.stamp);
    return built;
  }

  /** The query vector in the target's space, the target index, and how it got there. */
  private async plan(itemId: number, source: Modality, target: Modality, runId?: number): Promise<{ query: Float32Array; index: Index; via: string }> {
    if (source === target && runId === undefined) {
      const enc = this.encoderWithVector(itemId, source);
      const index = this.index(enc, null);
      return { query: normalizeRows(this.catalog.embeddings.get(enc.id, itemId)!, enc.dim), index, via: `same space (${enc.name})` };
    }
    const run = this.pickRun(source, target, runId);
    const srcEnc = this.catalog.encoders.get(run.config.encoders[source]!.name)!;
    const tgtEnc = this.catalog.encoders.get(run.config.encoders[target]!.name)!;
    const vec = this.catalog.embeddings.get(srcEnc.id, itemId);
    if (!vec) throw new SearchError(`item ${itemId} has no vector of encoder "${srcEnc.name}" (embed it first)`);
    const mapped = await (await this.mapper(run, source, target)).map(vec);
    return { query: normalizeRows(mapped, tgtEnc.dim), index: this.index(tgtEnc, { id: run.id, config: run.config }), via: `${directionName(source, target)} (run ${run.id})` };
  }

  /**
   * The run's inference session for a direction, built once and kept while the run's best
   * checkpoint stays the same (building a graph and a session per query would dominate a search).
   */
  private async mapper(run: { id: number; config: RunConfig }, source: Modality, target: Modality): Promise<DirectionMapper> {
    const key = `${run.id}:${source}->${target}`;
    const checkpoint = this.catalog.checkpoints.latest(run.id)?.hash ?? 'last';
    const cached = this.mappers.get(key);
    if (cached && cached.checkpoint === checkpoint) return cached.mapper;
    if (cached) await (await cached.mapper).release();
    const mapper = directionMapper(altMoeModel(run.config.model), runParams(run.config), source, target);
    this.mappers.set(key, { checkpoint, mapper });
    return mapper;
  }

  private encoderWithVector(itemId: number, modality: Modality): EncoderRow {
    const encoders = this.catalog.encoders.list().filter((e) => e.modality === modality);
    if (encoders.length === 0) throw new SearchError(`no ${modality} encoder in the catalog`);
    const enc = encoders.find((e) => this.catalog.embeddings.get(e.id, itemId));
    if (!enc) throw new SearchError(`item ${itemId} has no current vector of any ${modality} encoder (embed it first)`);
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
      const config = JSON.parse(row.config) as RunConfig;
      if (!covers(config)) throw new SearchError(`run ${runId} was not trained for ${source} -> ${target}`);
      if (!current(config)) throw new SearchError(`run ${runId} was trained on vectors of another encoder model; train a new run`);
      return { id: runId, config };
    }
    const runs = this.catalog.runs.list().filter((r) => r.status === 'done').reverse();
    for (const r of runs) {
      const config = JSON.parse(r.config) as RunConfig;
      if (covers(config) && current(config)) return { id: r.id, config };
    }
    throw new SearchError(`no trained connector for ${source} -> ${target}: run "altmoe train --pairs ${source}:${target}" first`);
  }

  /**
   * Unit-length vectors of every item of the encoder's modality (standardised with the run's
   * statistics when searching through a connector). Stale vectors never enter: only rows whose hash
   * is the encoder's current one are read.
   */
  private index(enc: EncoderRow, run: { id: number; config: RunConfig } | null): Index {
    const key = `${enc.id}:${run?.id ?? '-'}`;
    const stamp = `${enc.file_hash}:${this.catalog.embeddings.generation()}`;
    const cached = this.indexes.get(key);
    if (cached && cached.stamp === stamp) return cached;
    const rows = [...this.catalog.embeddings.iterateModality(enc.id, enc.modality)];
    const ids = new Int32Array(rows.length);
    const datasets = new Int32Array(rows.length);
    let vectors: Float32Array = new Float32Array(rows.length * enc.dim);
    rows.forEach((r, i) => {
      ids[i] = r.itemId;
      datasets[i] = r.datasetId;
      new Uint8Array(vectors.buffer, i * enc.dim * 4, enc.dim * 4).set(r.vector);
    });
    if (run) {
      const values = runParams(run.config);
      const [mean, invstd] = normParams(enc.modality);
      vectors = standardise(vectors, values.get(mean) as Float32Array, values.get(invstd) as Float32Array);
    }
    const index: Index = { ids, datasets, vectors: normalizeRows(vectors, enc.dim), dim: enc.dim, key, stamp };
    this.indexes.set(key, index);
    return index;
  }
}
