// The vector-store interface: where the vectors a search ranks live and how the nearest ones are
// found. The search engine turns a query into one unit vector in a target collection's space (its
// encoder, and the connector run mapping into it); a store answers the nearest items of that
// collection. Two stores implement it: the local one (the SQLite catalog and in-process exact, IVF
// or int8 indexes) and PostgreSQL + pgvector. Nothing above this interface knows which one serves.
import type { SearchHit } from '../../../src-shared/api.ts';
import type { Modality, Split } from '../../../src-shared/types.ts';
import type { EncoderRow } from '../catalog/repos/encoders.ts';
import type { RunConfig } from '../runs/config.ts';

/** One searchable set of vectors: an encoder's items, as they are or as a run's gallery serves them. */
export interface Collection {
  /** The encoder whose items are searched (its current model: stale vectors never enter). */
  encoder: EncoderRow;
  /** The run mapping them (its gallery graph for the pair source -> encoder's modality), or null for the encoder's own space. */
  run: { id: number; config: RunConfig; source: Modality } | null;
  /** What the run serves now (its best checkpoint and served ensemble): a change makes a new collection. */
  served: string;
}

export interface NearestQuery {
  /** A unit vector in the collection's space. */
  vector: Float32Array;
  k: number;
  /** Only items of these datasets (by name; default: all). */
  datasets?: string[];
  /** Only items that belong to pairs of these splits (default: all). */
  splits?: Split[];
  /** Drop results scoring below this cosine similarity. */
  minScore?: number;
  /** An item never returned (the query item itself). */
  exclude?: number;
}

/** A result as a store gives it; the engine adds how the query got into the space (`via`). */
export type StoredHit = Omit<SearchHit, 'via'>;

export interface VectorStore {
  /** For messages: "local" or the Postgres server, never its credentials. */
  readonly describe: string;
  /** The k nearest items of a collection, best first, by cosine similarity. */
  nearest(collection: Collection, query: NearestQuery): Promise<StoredHit[]>;
  close(): Promise<void>;
}

/** A stable name for a collection within one catalog (the same on every store). */
export function collectionName(c: Collection): string {
  return c.run ? `${c.encoder.name}@${c.encoder.file_hash}/run-${c.run.id}:${c.run.source}/${c.served}` : `${c.encoder.name}@${c.encoder.file_hash}`;
}
