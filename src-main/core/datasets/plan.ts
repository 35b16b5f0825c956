import type { ImportFormat, Modality, Split } from '../../../src-shared/types.ts';
import { ImportError } from './errors.ts';
import { safeRelativePath } from './paths.ts';

export type MediaModality = Exclude<Modality, 'text'>;

export interface MediaEntry {
  modality: MediaModality;
  /** Relative POSIX path under the dataset root; also the item's key. */
  path: string;
  meta: Record<string, unknown>;
}

export interface TextEntry {
  key: string;
  text: string;
  meta: Record<string, unknown>;
}

export interface PairEntry {
  media: string;
  text: string;
  split: Split | null;
}

/**
 * Everything one import will write, validated while it is built: duplicate ids, empty captions,
 * unsafe paths and dangling references are refused before the catalog is touched.
 */
export class ImportPlan {
  readonly media = new Map<string, MediaEntry>();
  readonly texts = new Map<string, TextEntry>();
  readonly pairs: PairEntry[] = [];
  readonly warnings: string[] = [];

  constructor(
    readonly format: ImportFormat,
    readonly source: string,
    /** The dataset root: an absolute media path inside it is taken as relative to it. */
    readonly root?: string,
  ) {}

  /** Adds a media item; adding the same path twice is fine when it is the same item. */
  mediaItem(modality: MediaModality, rawPath: string, where: string, meta: Record<string, unknown> = {}): string {
    const rel = safeRelativePath(rawPath, where, this.root);
    const existing = this.media.get(rel);
    if (existing) {
      if (existing.modality !== modality) {
        throw new ImportError(`${where}: "${rel}" is listed both as ${existing.modality} and as ${modality}`);
      }
      return rel;
    }
    this.media.set(rel, { modality, path: rel, meta });
    return rel;
  }

  /** Adds a media item that must be new: a second one with the same path is a duplicate id. */
  uniqueMedia(modality: MediaModality, rawPath: string, where: string, meta: Record<string, unknown> = {}): string {
    const rel = safeRelativePath(rawPath, where, this.root);
    if (this.media.has(rel)) throw new ImportError(`${where}: duplicate entry for "${rel}"`);
    return this.mediaItem(modality, rel, where, meta);
  }

  /** Adds a caption; its key must be unique within the import. */
  text(key: string, text: unknown, where: string, meta: Record<string, unknown> = {}): string {
    if (typeof text !== 'string') throw new ImportError(`${where}: caption is not a string`);
    const clean = text.trim();
    if (clean === '') throw new ImportError(`${where}: empty caption`);
    if (this.texts.has(key)) throw new ImportError(`${where}: duplicate caption id "${key}"`);
    this.texts.set(key, { key, text: clean, meta });
    return key;
  }

  pair(mediaPath: string, textKey: string, split: Split | null): void {
    this.pairs.push({ media: mediaPath, text: textKey, split });
  }

  warn(message: string): void {
    if (this.warnings.length < 50) this.warnings.push(message);
  }
}

/** Maps the split names used by the public datasets onto ours ('restval' is Karpathy's extra training data). */
export function normaliseSplit(raw: unknown, where: string): Split | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const s = String(raw).trim().toLowerCase();
  switch (s) {
    case 'train':
    case 'restval':
    case 'development':
    case 'dev':
      return 'train';
    case 'val':
    case 'valid':
    case 'validation':
      return 'val';
    case 'test':
    case 'evaluation':
    case 'eval':
      return 'test';
    default:
      throw new ImportError(`${where}: unknown split "${String(raw)}" (expected train, val or test)`);
  }
}

/** Guesses a split from a file name such as captions_val2017.json or clotho_captions_evaluation.csv. */
export function splitFromFileName(file: string): Split | null {
  const base = file.toLowerCase().replace(/^.*[\\/]/, '');
  if (/(^|[^a-z])(train|development)/.test(base)) return 'train';
  if (/(^|[^a-z])(val|validation)/.test(base)) return 'val';
  if (/(^|[^a-z])(test|evaluation)/.test(base)) return 'test';
  return null;
}
