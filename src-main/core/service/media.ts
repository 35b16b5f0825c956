// Media for the renderer: only files of catalog items, under their dataset's registered root; never
// an arbitrary path. Thumbnails are small WebP images made on demand.
import { UserError } from '../errors.ts';
import { createReadStream, realpathSync, statSync, type ReadStream } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Catalog } from '../catalog/catalog.ts';
import { resolveUnderRoot } from '../datasets/paths.ts';

export class MediaError extends UserError {
  constructor(
    message: string,
    readonly status: 404 | 403 | 415,
  ) {
    super(message);
  }
}

const TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.avif': 'image/avif',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.opus': 'audio/ogg',
};

/** The item's file, checked to lie inside its dataset's root (symlinks resolved). */
export function itemFile(catalog: Catalog, itemId: number): { file: string; type: string; size: number } {
  const item = Number.isInteger(itemId) ? catalog.items.getById(itemId) : undefined;
  if (!item || item.path === null) throw new MediaError(`no media item ${itemId}`, 404);
  const dataset = catalog.datasets.getById(item.dataset_id)!;
  let root: string;
  let file: string;
  try {
    root = realpathSync(dataset.root);
    file = realpathSync(resolveUnderRoot(dataset.root, item.path));
  } catch {
    throw new MediaError(`the file of item ${itemId} is missing`, 404);
  }
  if (file !== root && !file.startsWith(root + path.sep)) throw new MediaError(`item ${itemId} points outside its dataset root`, 403);
  const type = TYPES[path.extname(file).toLowerCase()];
  if (!type) throw new MediaError(`item ${itemId} is not a known media type`, 415);
  return { file, type, size: statSync(file).size };
}

export function mediaStream(catalog: Catalog, itemId: number): { stream: ReadStream; type: string; size: number } {
  const { file, type, size } = itemFile(catalog, itemId);
  return { stream: createReadStream(file), type, size };
}

/** A WebP thumbnail (at most `size` px on its longer side) of an image item. */
export async function thumbnail(catalog: Catalog, itemId: number, size = 320): Promise<Buffer> {
  const { file, type } = itemFile(catalog, itemId);
  if (!type.startsWith('image/')) throw new MediaError(`item ${itemId} is not an image`, 415);
  try {
    return await sharp(file, { limitInputPixels: 268_402_689 }).rotate().resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
  } catch {
    throw new MediaError(`cannot decode the image of item ${itemId}`, 415);
  }
}
