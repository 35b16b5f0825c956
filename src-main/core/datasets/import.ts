import path from 'node:path';
import type { ImportPreview } from '../../../src-shared/api.ts';
import type { ImportFormat, ImportReport, Modality, Progress, Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { ImportError } from './errors.ts';
import { audiocapsReader, clothoReader } from './formats/audio-captions.ts';
import { cocoReader } from './formats/coco.ts';
import type { FormatReader } from './formats/common.ts';
import { flickrCsvReader, flickrTokenReader } from './formats/flickr.ts';
import { folderReader } from './formats/folder.ts';
import { cocoKarpathyReader, flickrKarpathyReader } from './formats/karpathy.ts';
import { manifestReader } from './formats/manifest.ts';
import { checkMediaPath, realRootOf } from './paths.ts';
import { statFile } from './text-io.ts';
import { writePlan } from './writer.ts';

export const READERS: Record<Exclude<ImportFormat, 'npy'>, FormatReader> = {
  coco: cocoReader,
  'coco-karpathy': cocoKarpathyReader,
  'flickr-token': flickrTokenReader,
  'flickr-csv': flickrCsvReader,
  'flickr-karpathy': flickrKarpathyReader,
  clotho: clothoReader,
  audiocaps: audiocapsReader,
  folder: folderReader,
  manifest: manifestReader,
};

export interface DatasetImportOptions {
  /** Dataset name (default: derived from the source's file or folder name). */
  name?: string;
  /** Folder that media paths are relative to (default: guessed per format, else the source's folder). */
  root?: string;
  split?: Split | null;
  strict?: boolean;
  hashMedia?: boolean;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** Imports one caption source into the catalog; see READERS for the formats. */
export async function importDataset(
  catalog: Catalog,
  format: Exclude<ImportFormat, 'npy'>,
  source: string,
  opts: DatasetImportOptions = {},
): Promise<ImportReport> {
  const reader = READERS[format];
  if (!reader) throw new ImportError(`unknown format "${String(format)}"`);
  const abs = path.resolve(source);
  if (reader.input === 'file') statFile(abs);
  const root = path.resolve(opts.root ?? reader.defaultRoot(abs));
  const name = opts.name ?? defaultName(format, abs);
  if (name.trim() === '') throw new ImportError('the dataset name must not be empty');
  const plan = await reader.parse(abs, { root, split: opts.split, onProgress: opts.onProgress });
  opts.signal?.throwIfAborted();
  return writePlan(catalog, plan, {
    dataset: name,
    root,
    strict: opts.strict,
    hashMedia: opts.hashMedia,
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
}

function defaultName(format: ImportFormat, source: string): string {
  if (format === 'folder') return path.basename(source);
  return path.basename(source).replace(/\.[^.]+$/, '');
}

/** What an import would add, without writing anything: counts, missing media and a few examples. */
export async function previewImport(format: Exclude<ImportFormat, 'npy'>, source: string, opts: Pick<DatasetImportOptions, 'name' | 'root' | 'split'> = {}): Promise<ImportPreview> {
  const reader = READERS[format];
  if (!reader) throw new ImportError(`unknown format "${String(format)}"`);
  const abs = path.resolve(source);
  if (reader.input === 'file') statFile(abs);
  const root = path.resolve(opts.root ?? reader.defaultRoot(abs));
  const plan = await reader.parse(abs, { root, split: opts.split });
  const media: Partial<Record<Modality, number>> = {};
  const missing: string[] = [];
  let missingCount = 0;
  let outside = 0;
  const realRoot = realRootOf(root);
  for (const m of plan.media.values()) {
    media[m.modality] = (media[m.modality] ?? 0) + 1;
    const check = checkMediaPath(root, realRoot, m.path);
    if (check.state !== 'ok') {
      missingCount++;
      if (check.state === 'outside') outside++;
      if (missing.length < 5) missing.push(m.path);
    }
  }
  if (outside > 0) plan.warn(`${outside} media file(s) lead outside the dataset root through links: they will be left out`);
  const examples = plan.pairs.slice(0, 5).map((p) => ({ path: p.media, text: plan.texts.get(p.text)?.text }));
  return { dataset: opts.name ?? defaultName(format, abs), root, media, captions: plan.texts.size, pairs: plan.pairs.length, missing: { count: missingCount, examples: missing }, examples, warnings: plan.warnings };
}
