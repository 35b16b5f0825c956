// Which files of a hub repository an encoder needs: its configs, tokenizer or preprocessor, one ONNX
// file (the model, a tower of a two-tower model, or a variant such as a quantised one) and that
// file's external weights. A repository often holds several variants of hundreds of MB each, so
// pulling everything would waste most of the download.
import path from 'node:path';
import type { Modality } from '../../../../src-shared/types.ts';
import { EncoderError } from '../errors.ts';
import { HASHED_CONFIGS, TOWER_FILES } from '../folder.ts';

/** A file as the hub lists it. */
export interface RepoFile {
  path: string;
  size: number;
  /** Git's blob id (SHA-1 of "blob <size>\0" + content) for files kept in git. */
  oid?: string;
  /** SHA-256 of the content, for files kept in LFS / Xet (the large ones). */
  sha256?: string;
}

export interface PullPlan {
  /** The ONNX file to run, as a path inside the repository. */
  onnxFile: string;
  files: RepoFile[];
  bytes: number;
  /** Every ONNX file the repository offers, for messages and the panel. */
  variants: { path: string; size: number }[];
}

/** The configs our loaders read; all of them are small. */
const CONFIG_FILES = [...new Set([...HASHED_CONFIGS, 'quantize_config.json'])];

export function planPull(listing: readonly RepoFile[], opts: { file?: string; modality?: Modality } = {}): PullPlan {
  const byPath = new Map(listing.map((f) => [f.path, f]));
  const variants = listing.filter((f) => f.path.endsWith('.onnx') && (path.posix.dirname(f.path) === 'onnx' || !f.path.includes('/'))).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (variants.length === 0) throw new EncoderError('the repository has no .onnx file at its top or in onnx/: it is not an ONNX export (look for a copy under Xenova/ or onnx-community/)');
  const list = variants.map((v) => `${v.path} (${formatBytes(v.size)})`).join(', ');
  let onnx: RepoFile | undefined;
  if (opts.file) {
    onnx = byPath.get(opts.file) ?? byPath.get(`onnx/${opts.file}`);
    if (!onnx || !onnx.path.endsWith('.onnx')) throw new EncoderError(`the repository has no ONNX file "${opts.file}"; it has ${list}`);
  } else {
    const named = (name: string) => variants.find((v) => path.posix.basename(v.path) === name);
    // A two-tower export's towers come before a combined model.onnx: the combined graph needs both inputs.
    const towers = opts.modality ? TOWER_FILES[opts.modality].map(named).find(Boolean) : undefined;
    onnx = towers ?? named('model.onnx') ?? (variants.length === 1 ? variants[0] : undefined);
    if (!onnx) throw new EncoderError(`the repository offers several models: ${list}; choose one with --file${opts.modality ? '' : ' (or name the tower with --modality)'}`);
  }
  const external = [`${onnx.path}_data`, `${onnx.path}.data`].map((p) => byPath.get(p)).filter((f): f is RepoFile => f !== undefined);
  const configs = CONFIG_FILES.map((name) => byPath.get(name)).filter((f): f is RepoFile => f !== undefined);
  const files = [...configs, onnx, ...external];
  return { onnxFile: onnx.path, files, bytes: files.reduce((n, f) => n + f.size, 0), variants: variants.map((v) => ({ path: v.path, size: v.size })) };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
