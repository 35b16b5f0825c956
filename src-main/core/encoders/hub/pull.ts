// altmoe encoder pull REPO: lists the repository on the hub, picks the files the encoder needs,
// downloads them into `<catalog>.encoders/.partial/<name>/` (each resumable and verified), renames
// the folder into place only when every file is complete, then registers it as `encoder add` does.
// So a half-downloaded encoder is never registered, and running the same pull again resumes it.
import { PULL_RECORD } from '../joint-space.ts';
import fs from 'node:fs';
import path from 'node:path';
import { listFiles } from '@huggingface/hub';
import type { Modality } from '../../../../src-shared/types.ts';
import type { Catalog } from '../../catalog/catalog.ts';
import { EncoderError } from '../errors.ts';
import { catalogEncodersDir } from '../folder.ts';
import { addEncoder, type AddEncoderResult } from '../registry.ts';
import { downloadRepoFile } from './download.ts';
import { hubAccess, hubError, type HubAccess } from './endpoint.ts';
import { formatBytes, planPull, type PullPlan, type RepoFile } from './plan.ts';

export interface PullOptions {
  modality?: Modality;
  /** The ONNX file, e.g. onnx/model_quantized.onnx (default: the model, or the modality's tower). */
  file?: string;
  revision?: string;
  name?: string;
  replace?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
  /** For tests: instead of HF_ENDPOINT / HF_TOKEN. */
  endpoint?: string;
  token?: string;
}

export type PullProgress =
  | { phase: 'plan'; repo: string; revision: string; files: { path: string; size: number }[]; bytes: number; onnxFile: string; resumedBytes: number }
  | { phase: 'download'; file: string; done: number; total: number; bytesDone: number; bytes: number }
  | { phase: 'register'; name: string };

export interface PullResult {
  repo: string;
  revision: string;
  dir: string;
  onnxFile: string;
  files: number;
  bytes: number;
  /** Bytes fetched now (less than `bytes` when a pull resumed or the folder was already complete). */
  downloaded: number;
  encoder: AddEncoderResult;
}

/** What a finished folder records about where it came from (also how a rerun knows it is complete). */
interface PullRecord {
  repo: string;
  revision: string;
  onnxFile: string;
  files: RepoFile[];
}
const RECORD = PULL_RECORD;

const REPO_ID = /^[A-Za-z0-9][\w.-]{0,95}(\/[A-Za-z0-9][\w.-]{0,95})?$/;

export async function pullEncoder(catalog: Catalog, repo: string, opts: PullOptions = {}): Promise<PullResult> {
  if (!REPO_ID.test(repo) || repo.includes('..')) throw new EncoderError(`"${repo}" is not a hub repository id (owner/name, e.g. Xenova/all-MiniLM-L6-v2)`);
  const revision = opts.revision ?? 'main';
  if (!/^[\w./-]{1,200}$/.test(revision) || revision.includes('..')) throw new EncoderError(`"${revision}" is not a revision (a branch, tag or commit id)`);
  if (catalog.readonly) throw new EncoderError('the catalog is open read-only; an encoder cannot be added');
  const access = hubAccess(process.env, { ...(opts.endpoint ? { endpoint: opts.endpoint } : {}), ...(opts.token ? { token: opts.token } : {}) });
  if (access.token && !access.token.startsWith('hf_')) throw new EncoderError('HF_TOKEN must be a Hugging Face access token (it starts with hf_)');

  const plan = planPull(await listRepo(access, repo, revision), opts);
  const name = opts.name ?? defaultName(repo, plan);
  if (!/^[\w.@+-][\w .@+-]*$/.test(name)) throw new EncoderError(`"${name}" is not a usable encoder name (letters, digits, . _ - + @ and spaces)`);
  const root = catalogEncodersDir(catalog.file);
  const finalDir = path.join(root, name);
  const partial = path.join(root, '.partial', name);
  const record: PullRecord = { repo, revision, onnxFile: plan.onnxFile, files: plan.files };

  let downloaded = 0;
  if (!sameRecord(readRecord(finalDir), record)) {
    if (fs.existsSync(finalDir) && !opts.replace) {
      throw new EncoderError(`${finalDir} already holds another pull (${readRecord(finalDir)?.repo ?? 'unknown'}); pass --replace to swap it, or choose another --name`);
    }
    if (!sameRecord(readRecord(partial), record)) fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial, { recursive: true });
    writeRecord(partial, record);
    const resumedBytes = plan.files.reduce((n, f) => n + partSize(partial, f), 0);
    opts.onProgress?.({ phase: 'plan', repo, revision, files: plan.files.map((f) => ({ path: f.path, size: f.size })), bytes: plan.bytes, onnxFile: plan.onnxFile, resumedBytes });
    let before = 0;
    for (const f of plan.files) {
      const target = path.join(partial, ...f.path.split('/'));
      if (fs.existsSync(target) && fs.statSync(target).size === f.size) {
        before += f.size;
        continue;
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const start = partSize(partial, f);
      await downloadRepoFile(access, repo, revision, f, target, {
        ...(opts.signal ? { signal: opts.signal } : {}),
        onProgress: (p) => opts.onProgress?.({ phase: 'download', file: p.file, done: p.done, total: p.total, bytesDone: before + p.done, bytes: plan.bytes }),
      });
      downloaded += f.size - start;
      before += f.size;
    }
    // Swapped in whole: a rename within one folder, after every file is verified.
    const old = `${finalDir}.old-${process.pid}`;
    if (fs.existsSync(finalDir)) fs.renameSync(finalDir, old);
    fs.renameSync(partial, finalDir);
    fs.rmSync(old, { recursive: true, force: true });
  }
  opts.onProgress?.({ phase: 'register', name });
  const encoder = await addEncoder(catalog, finalDir, { name, file: plan.onnxFile, ...(opts.modality ? { modality: opts.modality } : {}), replace: opts.replace === true });
  return { repo, revision, dir: finalDir, onnxFile: plan.onnxFile, files: plan.files.length, bytes: plan.bytes, downloaded, encoder };
}

async function listRepo(access: HubAccess, repo: string, revision: string): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  try {
    for await (const f of listFiles({ repo, revision, recursive: true, hubUrl: access.endpoint, fetch: access.fetch, ...(access.token ? { accessToken: access.token } : {}) })) {
      if (f.type !== 'file') continue;
      files.push({ path: f.path, size: f.size, ...(f.oid ? { oid: f.oid } : {}), ...(f.lfs?.oid ? { sha256: f.lfs.oid } : {}) });
    }
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404) throw new EncoderError(`${access.endpoint} has no model repository "${repo}" at revision "${revision}" (a private one needs HF_TOKEN)`);
    throw hubError(err, access, `list the files of ${repo}`);
  }
  return files;
}

/** The repository's name, with the file's name when it is one of several (a tower, a quantised variant). */
function defaultName(repo: string, plan: PullPlan): string {
  const base = repo.split('/').at(-1)!;
  const stem = path.posix.basename(plan.onnxFile, '.onnx');
  return plan.variants.length > 1 && stem !== 'model' ? `${base}-${stem}` : base;
}

function partSize(dir: string, f: RepoFile): number {
  const target = path.join(dir, ...f.path.split('/'));
  if (fs.existsSync(target)) return fs.statSync(target).size;
  return fs.existsSync(`${target}.part`) ? fs.statSync(`${target}.part`).size : 0;
}

function readRecord(dir: string): PullRecord | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, RECORD), 'utf8')) as PullRecord;
  } catch {
    return null;
  }
}

function writeRecord(dir: string, record: PullRecord): void {
  fs.writeFileSync(path.join(dir, RECORD), `${JSON.stringify(record, null, 2)}\n`);
}

const sameRecord = (a: PullRecord | null, b: PullRecord): boolean => a !== null && JSON.stringify(a) === JSON.stringify(b);

export function describePlan(p: Extract<PullProgress, { phase: 'plan' }>): string {
  const resumed = p.resumedBytes > 0 ? `, ${formatBytes(p.resumedBytes)} already here from an earlier try` : '';
  return `pulling ${p.repo} at ${p.revision}: ${p.files.length} file(s), ${formatBytes(p.bytes)} (${p.files.map((f) => `${f.path} ${formatBytes(f.size)}`).join(', ')})${resumed}`;
}
