import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { ImportError } from './errors.ts';
import type { Modality } from '../../../src-shared/types.ts';

/**
 * Normalises a media path from a source file to a POSIX path relative to the dataset root.
 * Paths that climb out of the root (`../`) are refused, and so are absolute paths, unless they lie
 * inside the root (then they are taken relative to it): a catalog must never read files outside
 * the folders the user registered. (Links are checked where files are read: checkMediaPath.)
 */
export function safeRelativePath(raw: string, where: string, root?: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new ImportError(`${where}: empty media path`);
  if (raw.includes('\0')) throw new ImportError(`${where}: media path contains a NUL byte`);
  let unified = raw.trim().replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[A-Za-z]:\//.test(unified)) {
    const inside = root !== undefined ? insideRoot(unified, root) : null;
    if (inside === null) throw new ImportError(`${where}: media path "${raw}" is absolute and not inside the dataset root${root !== undefined ? ` (${root})` : ''}; paths must be relative to it or inside it`);
    unified = inside;
  }
  const norm = path.posix.normalize(unified);
  if (norm === '..' || norm.startsWith('../') || norm === '.') {
    throw new ImportError(`${where}: media path "${raw}" escapes the dataset root`);
  }
  return norm.replace(/^\.\//, '');
}

/** An absolute path's part below root (POSIX), or null when it is not below it. */
function insideRoot(absolute: string, root: string): string | null {
  const base = path.posix.normalize(root.replace(/\\/g, '/')).replace(/\/+$/, '');
  const norm = path.posix.normalize(absolute);
  return norm.startsWith(`${base}/`) ? norm.slice(base.length + 1) : null;
}

/** Joins a validated relative path to a root (for reading the file). */
export function resolveUnderRoot(root: string, rel: string): string {
  return path.join(root, ...rel.split('/'));
}

export type MediaCheck = { state: 'ok'; file: string } | { state: 'missing' } | { state: 'outside'; file: string };

/**
 * Where a dataset's media path really leads, symlinks resolved: a file inside the root, missing, or
 * outside the root (a link to /etc/passwd, to a sibling folder). The one check that import, embed
 * and media serving all use; `realRoot` is realpathSync(root), computed once per dataset.
 */
export function checkMediaPath(root: string, realRoot: string, rel: string): MediaCheck {
  let file: string;
  try {
    file = realpathSync(resolveUnderRoot(root, rel));
  } catch {
    return { state: 'missing' };
  }
  if (file !== realRoot && !file.startsWith(realRoot + path.sep)) return { state: 'outside', file };
  return statSync(file, { throwIfNoEntry: false })?.isFile() ? { state: 'ok', file } : { state: 'missing' };
}

/** realpathSync of a root, or the root itself when it does not exist (then every file is missing). */
export function realRootOf(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return path.resolve(root);
  }
}

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.bmp', '.svg', '.tif', '.tiff', '.avif']);
const AUDIO_EXT = new Set(['.wav', '.flac', '.ogg', '.oga', '.opus', '.mp3', '.m4a', '.aac']);

/** The modality of a media file from its extension, or null for anything else. */
export function modalityOfPath(p: string): Exclude<Modality, 'text'> | null {
  const ext = path.extname(p).toLowerCase();
  if (IMAGE_EXT.has(ext)) return 'image';
  if (AUDIO_EXT.has(ext)) return 'audio';
  return null;
}
