// One file from the hub into `<target>.part`, resumed from what an earlier try left there (a Ctrl-C,
// a crash, a dropped connection), checked against the hub's listing and only then renamed into place.
// Large files are checked by their SHA-256 (LFS / Xet metadata), small ones by their git blob id.
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import { downloadFile } from '@huggingface/hub';
import { EncoderError } from '../errors.ts';
import { hubError, type HubAccess } from './endpoint.ts';
import { formatBytes, type RepoFile } from './plan.ts';

export interface FileProgress {
  file: string;
  /** Bytes of this file on disk so far. */
  done: number;
  total: number;
}

/** Bytes read from disk per chunk when hashing what an earlier try left. */
const CHUNK = 1 << 20;

export async function downloadRepoFile(
  access: HubAccess,
  repo: string,
  revision: string,
  file: RepoFile,
  target: string,
  opts: { signal?: AbortSignal; onProgress?: (p: FileProgress) => void } = {},
): Promise<void> {
  const part = `${target}.part`;
  let have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  if (have > file.size) {
    fs.rmSync(part);
    have = 0;
  }
  const hash = startHash(file);
  if (have > 0) await hashExisting(hash.h, part, have);
  opts.onProgress?.({ file: file.path, done: have, total: file.size });
  if (have < file.size) {
    let blob: Blob | null;
    try {
      blob = await downloadFile({ repo, path: file.path, revision, hubUrl: access.endpoint, fetch: access.fetch, ...(access.token ? { accessToken: access.token } : {}) });
    } catch (err) {
      throw hubError(err, access, `download ${file.path} of ${repo}`);
    }
    if (!blob) throw new EncoderError(`${access.endpoint} no longer has ${file.path} in ${repo} at ${revision}; pull again`);
    if (blob.size !== file.size) throw new EncoderError(`${file.path} of ${repo} is ${blob.size} bytes on ${access.endpoint}, but its listing says ${file.size}: the repository changed while pulling; pull again`);
    const out = fs.createWriteStream(part, { flags: 'a' });
    const reader = blob.slice(have).stream().getReader();
    const abort = (): void => void reader.cancel().catch(() => undefined);
    opts.signal?.addEventListener('abort', abort, { once: true });
    try {
      for (;;) {
        if (opts.signal?.aborted) throw abortError();
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (opts.signal?.aborted) throw abortError();
          throw hubError(err, access, `download ${file.path} of ${repo} (${formatBytes(have)} of ${formatBytes(file.size)} kept; pull again to resume)`);
        }
        if (chunk.done) break;
        hash.h.update(chunk.value);
        if (!out.write(chunk.value)) await new Promise<void>((r) => out.once('drain', () => r()));
        have += chunk.value.byteLength;
        opts.onProgress?.({ file: file.path, done: have, total: file.size });
      }
      if (opts.signal?.aborted) throw abortError();
    } finally {
      opts.signal?.removeEventListener('abort', abort);
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
  }
  const size = fs.statSync(part).size;
  if (size !== file.size) throw new EncoderError(`${file.path} of ${repo} ended after ${formatBytes(size)} of ${formatBytes(file.size)} (the connection dropped); pull again to resume`);
  const got = hash.h.digest('hex');
  if (got !== hash.expected) {
    fs.rmSync(part, { force: true });
    throw new EncoderError(`${file.path} of ${repo} is corrupt: its ${hash.kind} is ${got.slice(0, 12)}..., the hub lists ${hash.expected.slice(0, 12)}...; the file was removed, pull again`);
  }
  fs.renameSync(part, target);
}

function startHash(file: RepoFile): { h: Hash; expected: string; kind: string } {
  if (file.sha256) return { h: createHash('sha256'), expected: file.sha256, kind: 'SHA-256' };
  if (file.oid) {
    const h = createHash('sha1');
    h.update(`blob ${file.size}\0`);
    return { h, expected: file.oid, kind: 'git blob id' };
  }
  throw new EncoderError(`the hub's listing gives no checksum for ${file.path}: it cannot be verified`);
}

async function hashExisting(h: Hash, file: string, bytes: number): Promise<void> {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let at = 0; at < bytes; ) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, bytes - at), at);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      at += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function abortError(): Error {
  const err = new Error('the pull was cancelled');
  err.name = 'AbortError';
  return err;
}
