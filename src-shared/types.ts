// Plain data types shared by the engine, the Electron shell and the renderer.
// This file must stay free of node and electron imports (see test/architecture.test.ts).

export const MODALITIES = ['image', 'text', 'audio'] as const;
export type Modality = (typeof MODALITIES)[number];

export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export const IMPORT_FORMATS = [
  'coco',
  'coco-karpathy',
  'flickr-token',
  'flickr-csv',
  'flickr-karpathy',
  'clotho',
  'audiocaps',
  'folder',
  'manifest',
  'npy',
] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Progress of a long operation; `total` is null when it is not known in advance. */
export interface Progress {
  phase: string;
  done: number;
  total: number | null;
  message?: string;
}

export interface ItemCounts {
  added: number;
  updated: number;
  unchanged: number;
}

export interface ImportReport {
  dataset: string;
  format: ImportFormat;
  source: string;
  root: string;
  /** Per modality: how the catalog's items changed. */
  items: Partial<Record<Modality, ItemCounts>>;
  pairs: { added: number; updated: number; unchanged: number };
  /** Media files referenced by the source but not found under the root. */
  missing: { count: number; examples: string[] };
  /** Media files whose links lead outside the dataset root: left unread, like missing ones. */
  outside?: { count: number; examples: string[] };
  /** Vectors written (npy imports only). */
  vectors?: { encoder: string; count: number; dim: number; added: number; replaced: number; unchanged: number };
  warnings: string[];
  seconds: number;
}

export interface DatasetSummary {
  id: number;
  name: string;
  format: string;
  root: string;
  createdAt: number;
  updatedAt: number;
  items: Partial<Record<Modality, number>>;
  pairs: Record<Split | 'unassigned', number>;
  /** Per encoder: how many of this dataset's items of the encoder's modality have a current vector. */
  embeddings: { encoder: string; modality: Modality; dim: number; count: number; of: number }[];
}

export interface EncoderSummary {
  id: number;
  name: string;
  modality: Modality;
  dim: number;
  fileHash: string;
  source: string;
  vectors: number;
}

export interface CatalogStats {
  file: string;
  schemaVersion: number;
  sizeBytes: number;
  datasets: DatasetSummary[];
  encoders: EncoderSummary[];
}
