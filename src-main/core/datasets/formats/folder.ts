import fs from 'node:fs';
import path from 'node:path';
import type { Split } from '../../../../src-shared/types.ts';
import { ImportError } from '../errors.ts';
import { modalityOfPath } from '../paths.ts';
import { ImportPlan, normaliseSplit } from '../plan.ts';
import { readUtf8Sync } from '../text-io.ts';
import type { FormatReader } from './common.ts';

/**
 * A plain folder of images and/or audio. A sidecar "name.txt" next to "name.jpg" holds its
 * captions, one per line. A top-level train/ val/ test/ folder sets the split.
 */
export const folderReader: FormatReader = {
  format: 'folder',
  description: 'a folder of images / audio with sidecar .txt captions (one per line)',
  input: 'dir',
  defaultRoot: (source) => path.resolve(source),
  async parse(source, opts) {
    const root = path.resolve(source);
    const plan = new ImportPlan('folder', root);
    const { files, skipped } = walk(root);
    if (skipped.length > 0) plan.warn(`${skipped.length} entr${skipped.length === 1 ? 'y' : 'ies'} could not be read and ${skipped.length === 1 ? 'was' : 'were'} skipped, e.g. ${skipped.slice(0, 3).join(', ')}`);
    const captionFiles = new Set(files.filter((f) => f.toLowerCase().endsWith('.txt')));
    const usedSidecars = new Set<string>();
    let done = 0;
    for (const rel of files) {
      const modality = modalityOfPath(rel);
      if (!modality) continue;
      const split = opts.split !== undefined ? opts.split : splitOfFolder(rel);
      const media = plan.mediaItem(modality, rel, `${root}/${rel}`);
      const sidecar = rel.replace(/\.[^./]+$/, '.txt');
      if (captionFiles.has(sidecar)) {
        usedSidecars.add(sidecar);
        const lines = readUtf8Sync(path.join(root, sidecar)).replace(/^\uFEFF/, '').split(/\r?\n/);
        lines.forEach((line, i) => {
          if (line.trim() === '') return;
          const key = `${sidecar}#${i + 1}`;
          if (!plan.texts.has(key)) plan.text(key, line, `${root}/${sidecar}:${i + 1}`);
          plan.pair(media, key, split);
        });
      }
      if (++done % 1000 === 0) opts.onProgress?.({ phase: 'scan', done, total: files.length });
    }
    const orphans = [...captionFiles].filter((f) => !usedSidecars.has(f));
    if (orphans.length > 0) plan.warn(`${orphans.length} .txt file(s) without a matching media file, e.g. ${orphans.slice(0, 3).join(', ')}`);
    return plan;
  },
};

function splitOfFolder(rel: string): Split | null {
  const top = rel.split('/')[0]!.toLowerCase();
  try {
    return rel.includes('/') ? normaliseSplit(top, rel) : null;
  } catch (err) {
    if (err instanceof ImportError) return null; // an ordinary folder name, not a split
    throw err;
  }
}

/**
 * Relative POSIX paths of all regular files under root, sorted; hidden entries and symlinked folders
 * are skipped. An entry that cannot be read (a loop of links, a link into /proc, a folder without
 * permission) is skipped with its reason rather than failing the whole import.
 */
function walk(root: string): { files: string[]; skipped: string[] } {
  const st = fs.statSync(root, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new ImportError(`${root} is not a folder`);
  const files: string[] = [];
  const skipped: string[] = [];
  const visit = (dir: string, prefix: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (prefix === '') throw new ImportError(`cannot read the folder ${root}: ${unreadable(err)}`);
      skipped.push(`${prefix}/ (${unreadable(err)})`);
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      try {
        if (entry.isDirectory()) visit(path.join(dir, entry.name), rel);
        else if (entry.isFile() || (entry.isSymbolicLink() && fs.statSync(path.join(dir, entry.name), { throwIfNoEntry: false })?.isFile())) files.push(rel);
      } catch (err) {
        skipped.push(`${rel} (${unreadable(err)})`);
      }
    }
  };
  visit(root, '');
  return { files: files.sort(), skipped };
}

/** Why a file-system entry cannot be read, in words. */
function unreadable(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ELOOP':
      return 'a loop of symbolic links';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'gone while it was read';
    default:
      return (err as Error).message;
  }
}
