import fs from 'node:fs';
import path from 'node:path';
import type { ImportFormat, Progress, Split } from '../../../../src-shared/types.ts';
import { ImportError } from '../errors.ts';
import type { ImportPlan } from '../plan.ts';

export interface ParseOptions {
  /** Split for every pair, overriding what the source says or its file name suggests. */
  split?: Split | null;
  /** Dataset root (media paths are relative to it); used by formats that must look for files. */
  root: string;
  onProgress?: (p: Progress) => void;
}

/** One supported input format: how to name its dataset, where its media live, and how to read it. */
export interface FormatReader {
  format: ImportFormat;
  description: string;
  /** 'file' or 'dir': what the import path must be. */
  input: 'file' | 'dir';
  defaultRoot(source: string): string;
  parse(source: string, opts: ParseOptions): Promise<ImportPlan>;
}


/** The first existing directory among candidates, else the source's own folder. */
export function firstExistingDir(source: string, candidates: string[]): string {
  for (const c of candidates) {
    const dir = path.resolve(path.dirname(source), c);
    if (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return dir;
  }
  return path.resolve(path.dirname(source));
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function arrayField(obj: Record<string, unknown>, field: string, where: string, hint = ''): unknown[] {
  const v = obj[field];
  if (!Array.isArray(v)) throw new ImportError(`${where}: expected "${field}" to be an array${hint}`);
  return v;
}

export function idField(obj: Record<string, unknown>, field: string, where: string): string {
  const v = obj[field];
  if ((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '')) return String(v);
  throw new ImportError(`${where}: missing or invalid "${field}"`);
}

export function stringField(obj: Record<string, unknown>, field: string, where: string): string {
  const v = obj[field];
  if (typeof v === 'string' && v.trim() !== '') return v;
  throw new ImportError(`${where}: missing or empty "${field}"`);
}

/** Reports byte-level progress of a parse as a Progress event. */
export function parseProgress(opts: ParseOptions): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    if (done - last >= 8 << 20 || done === total) {
      last = done;
      opts.onProgress?.({ phase: 'read', done, total });
    }
  };
}

/** Header check shared by the CSV readers: names the missing columns and hints at the right format. */
export function requireColumns(columns: string[], required: string[], where: string): void {
  const missing = required.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new ImportError(`${where}: missing column(s) ${missing.join(', ')} (found: ${columns.join(', ')}; is this the right format?)`);
  }
}

