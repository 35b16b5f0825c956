// Media for the renderer: only files of catalog items, under their dataset's registered root; never
// an arbitrary path. Thumbnails are small WebP images made on demand.
import { UserError } from '../util/errors.ts';
import { createReadStream, statSync, type ReadStream } from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { Catalog } from '../catalog/catalog.ts';
import { checkMediaPath, realRootOf } from '../datasets/paths.ts';
import { decodeAudio, MAX_IMAGE_PIXELS, readMediaFile } from '../encoders/media.ts';
import { looksLikeSvg, sizedSvg } from '../encoders/svg-size.ts';
import { waveformImage } from './waveform.ts';

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
  // The one real-path check that import and embed use too.
  const check = checkMediaPath(dataset.root, realRootOf(dataset.root), item.path);
  if (check.state === 'missing') throw new MediaError(`the file of item ${itemId} is missing`, 404);
  if (check.state === 'outside') throw new MediaError(`item ${itemId} points outside its dataset root`, 403);
  const file = check.file;
  const type = TYPES[path.extname(file).toLowerCase()];
  if (!type) throw new MediaError(`item ${itemId} is not a known media type`, 415);
  return { file, type, size: statSync(file).size };
}

/** Types a browser renders as inert data (no script can run in them): shown inline. */
const INERT = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/bmp', 'image/avif', 'audio/wav', 'audio/flac', 'audio/ogg', 'audio/mpeg', 'audio/mp4', 'audio/aac']);

/**
 * Headers for an item's original file, the same on the HTTP server and the desktop protocol: a
 * dataset is untrusted, so no file may run. Every file is sandboxed with nosniff; anything that is
 * not a known raster or audio type (SVG above all: it can hold script) is also a download only.
 * Thumbnails and previews of SVGs are rasterised (thumbnail()).
 */
export function mediaHeaders(type: string): Record<string, string> {
  return {
    'content-type': type,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    ...(INERT.has(type) ? {} : { 'content-disposition': 'attachment' }),
  };
}

export function mediaStream(catalog: Catalog, itemId: number): { stream: ReadStream; type: string; size: number } {
  const { file, type, size } = itemFile(catalog, itemId);
  return { stream: createReadStream(file), type, size };
}

/** The result view's large picture, on its longer side. */
export const PREVIEW_SIZE = 960;

const MAX_WAVEFORM_BYTES = 16 * 1024 * 1024;

/**
 * An image at most `size` px on its longer side, whole: an SVG drawn at that size from its real
 * size and viewBox (svg-size.ts), a raster scaled down or, when smaller, up (a 22 px icon is no
 * thumbnail).
 */
export function previewImage(bytes: Buffer, size: number): Sharp {
  const svg = looksLikeSvg(bytes);
  return sharp(svg ? sizedSvg(bytes, size) : bytes, { limitInputPixels: MAX_IMAGE_PIXELS })
    .rotate()
    .resize({ width: size, height: size, fit: 'inside' });
}

/** A WebP thumbnail: of an image item, at most `size` px on its longer side; of a sound, its waveform. */
export async function thumbnail(catalog: Catalog, itemId: number, size = 320): Promise<Buffer> {
  const { file, type, size: bytes } = itemFile(catalog, itemId);
  if (type.startsWith('audio/')) {
    // Decoding is CPU work on the caller's thread: long recordings get no waveform rather than a stall.
    if (bytes > MAX_WAVEFORM_BYTES) throw new MediaError(`item ${itemId} is too long a sound for a waveform`, 415);
    try {
      // 8 kHz is plenty for an envelope and keeps long clips cheap to decode.
      return await waveformImage(await decodeAudio(file, 8000), size, Math.round(size / 5));
    } catch {
      throw new MediaError(`cannot decode the sound of item ${itemId}`, 415);
    }
  }
  if (!type.startsWith('image/')) throw new MediaError(`item ${itemId} is not an image or a sound`, 415);
  try {
    return await previewImage(await readMediaFile(file), size).webp({ quality: 80 }).toBuffer();
  } catch {
    throw new MediaError(`cannot decode the image of item ${itemId}`, 415);
  }
}
