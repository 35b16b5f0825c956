// The embedding job: turns a dataset's items into stored vectors with one encoder. Three stages run
// at once: the worker thread runs batch i, this thread decodes and tokenises batch i+1 and writes
// batch i-1. Items that already have a vector from the same model are skipped, so a crashed or
// cancelled job resumes by running again; a bad item is reported and the job goes on.
import { randomUUID } from 'node:crypto';
import type { Catalog } from '../catalog/catalog.ts';
import type { MissingItem } from '../catalog/repos/embeddings.ts';
import { CatalogError } from '../catalog/errors.ts';
import { checkMediaPath, realRootOf } from '../datasets/paths.ts';
import type { Provider } from '../onnx/runtime.ts';
import { isProcessAlive, jobParams } from '../catalog/job-records.ts';
import { EncoderError } from './errors.ts';
import { InferenceWorker } from './inference-client.ts';
import { createPreprocessor, type EncoderInput, type PreparedBatch } from './preprocess.ts';
import { checkUnchanged, encoderSpec, requireEncoder } from './registry.ts';
import type { EncoderSpec } from './spec.ts';
import { vectorProblem, type Pooled } from './run-encoder.ts';

export interface EmbedOptions {
  encoder: string;
  /** A dataset name; default: every dataset. */
  dataset?: string;
  batchSize?: number;
  provider?: Provider;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (p: EmbedProgress) => void;
  onWarning?: (message: string) => void;
  /** Reuse a job id (resuming); default: a new one. */
  jobId?: string;
  /** Called with the job id once its row exists, before any work (the CLI prints it first). */
  onStart?: (jobId: string) => void;
}

export interface EmbedProgress {
  jobId: string;
  /** Items handled in this run (embedded or failed) out of those that needed it when it started. */
  done: number;
  total: number;
  embedded: number;
  failed: number;
  itemsPerSecond: number;
  etaSeconds: number | null;
}

export interface ItemFailure {
  itemId: number;
  key: string;
  error: string;
}

export interface EmbedReport {
  jobId: string;
  encoder: string;
  provider: string;
  /** Items that already had a vector from this model. */
  skipped: number;
  embedded: number;
  failed: number;
  /** The first failures (at most MAX_REPORTED_FAILURES), each with its reason. */
  failures: ItemFailure[];
  cancelled: boolean;
  seconds: number;
  /** Of which: checking the model, loading the preprocessor and starting the inference worker. */
  startupSeconds: number;
}

export const DEFAULT_BATCH = 32;

/**
 * Raw-waveform audio models (input_values) take clips of any length, and a batch is zero-padded
 * to its longest clip: with prompts of 1 to 30 s that tripled the work (Basic Pitch on the Asterisk
 * prompts: 127 s at 32 per batch, 40 s one clip at a time), so such clips go one by one.
 */
export function defaultBatchSize(spec: EncoderSpec): number {
  return spec.modality === 'audio' && 'input_values' in spec.inputs ? 1 : DEFAULT_BATCH;
}
const MAX_REPORTED_FAILURES = 1000;
const PROGRESS_EVERY_MS = 500;

interface Prepared {
  items: MissingItem[];
  batch: PreparedBatch;
}

export async function runEmbedJob(catalog: Catalog, opts: EmbedOptions): Promise<EmbedReport> {
  const started = performance.now();
  const row = requireEncoder(catalog, opts.encoder);
  const spec = encoderSpec(row);
  await checkUnchanged(row, spec);
  const batchSize = opts.batchSize ?? defaultBatchSize(spec);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new EncoderError(`batch size must be a positive integer, got ${batchSize}`);
  let datasetId: number | null = null;
  if (opts.dataset !== undefined) {
    const d = catalog.datasets.get(opts.dataset);
    if (!d) throw new EncoderError(`no dataset named "${opts.dataset}"`);
    datasetId = d.id;
  }
  // Stale vectors are deleted when a model changes, so every stored vector of this encoder is current.
  const alreadyDone = catalog.embeddings.count(row.id, datasetId ?? undefined);
  const total = catalog.embeddings.countMissing(row.id, row.file_hash, spec.modality, datasetId);
  const jobId = opts.jobId ?? randomUUID();
  const params = { encoder: opts.encoder, dataset: opts.dataset ?? null, batchSize, provider: opts.provider ?? 'cpu' };
  // The job's row (maybe written already by the service or the CLI) keeps these to resume, and the
  // process that runs it, so a crash is seen as one (catalog/job-records.ts).
  const existing = catalog.jobs.get(jobId);
  catalog.write(() => {
    if (existing) catalog.jobs.setParams(jobId, { ...jobParams(existing), ...params, pid: process.pid }, Date.now());
    else catalog.jobs.create(jobId, 'embed', { ...params, pid: process.pid }, Date.now(), `embed with ${opts.encoder}${opts.dataset ? ` (${opts.dataset})` : ''}`);
    catalog.jobs.progress(jobId, {}, Date.now());
  });
  opts.onStart?.(jobId);

  const pre = await createPreprocessor(spec.dir, spec.modality, spec.inputs);
  const worker = await InferenceWorker.start(spec, { provider: opts.provider ?? 'cpu', ...(opts.threads ? { threads: opts.threads } : {}), ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) });
  const startupSeconds = (performance.now() - started) / 1000;
  const failures: ItemFailure[] = [];
  let embedded = 0;
  let failed = 0;
  let lastProgress = 0;
  let cursor = 0;
  const fail = (item: MissingItem, error: string): void => {
    failed++;
    if (failures.length < MAX_REPORTED_FAILURES) failures.push({ itemId: item.id, key: item.key, error });
  };
  const progress = (force: boolean): void => {
    const now = performance.now();
    if (!force && now - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now;
    const done = embedded + failed;
    const rate = done / Math.max(1e-3, (now - started) / 1000);
    const p: EmbedProgress = { jobId, done, total, embedded, failed, itemsPerSecond: rate, etaSeconds: rate > 0 ? (total - done) / rate : null };
    catalog.write(() => catalog.jobs.progress(jobId, p, Date.now()));
    opts.onProgress?.(p);
  };
  const realRoots = new Map<string, string>();
  const prepareNext = async (): Promise<Prepared | null> => {
    if (opts.signal?.aborted) return null;
    const batch = catalog.embeddings.missing(row.id, row.file_hash, spec.modality, datasetId, cursor, batchSize);
    if (batch.length === 0) return null;
    cursor = batch[batch.length - 1]!.id;
    // The same real-path check as import and media serving: a link out of the root is never read.
    const items: MissingItem[] = [];
    const inputs: EncoderInput[] = [];
    for (const it of batch) {
      if (it.text !== null) {
        items.push(it);
        inputs.push({ text: it.text });
        continue;
      }
      const check = checkMediaPath(it.root, realRoots.get(it.root) ?? realRoots.set(it.root, realRootOf(it.root)).get(it.root)!, it.path!);
      // Only a regular file reaches a decoder: a FIFO would block the read for ever.
      if (check.state === 'outside') fail(it, 'the file leads outside its dataset root (a link); it is not read');
      else if (check.state === 'missing') fail(it, 'the file is missing, or is not a regular file (a pipe, socket, device or folder)');
      else {
        items.push(it);
        inputs.push({ file: check.file });
      }
    }
    if (items.length === 0) return prepareNext();
    return { items, batch: await pre.prepare(inputs) };
  };
  const store = (p: Prepared, out: Pooled | Error): void => {
    for (const e of p.batch.errors) fail(p.items[e.index]!, e.message);
    if (out instanceof Error) {
      for (const i of p.batch.ok) fail(p.items[i]!, out.message);
    } else if (out.dim !== spec.dim) {
      for (const i of p.batch.ok) fail(p.items[i]!, `the model gave ${out.dim}-dim vectors, but encoder "${row.name}" is registered with ${spec.dim}`);
    } else if (p.batch.ok.length > 0) {
      const now = Date.now();
      // Counted once the batch's transaction has committed: a batch a full disk rolls back stored nothing.
      const stored = catalog.write(() => {
        let n = 0;
        p.batch.ok.forEach((itemIndex, r) => {
          const v = out.data.subarray(r * out.dim, (r + 1) * out.dim);
          const problem = vectorProblem(v);
          if (problem) fail(p.items[itemIndex]!, problem);
          else {
            catalog.embeddings.put(row.id, p.items[itemIndex]!.id, row.file_hash, Buffer.from(v.buffer, v.byteOffset, v.byteLength), now);
            n++;
          }
        });
        return n;
      });
      embedded += stored;
    }
    progress(false);
  };

  let cancelled = false;
  try {
    let next = prepareNext();
    let running: Promise<[Prepared, Pooled | Error]> | null = null;
    // A cancel does not wait for a batch that is still being read (a hung read would hold it for ever).
    const stopped = new Promise<null>((resolve) => (opts.signal?.aborted ? resolve(null) : opts.signal?.addEventListener('abort', () => resolve(null), { once: true })));
    for (;;) {
      const current = await Promise.race([next, stopped]);
      if (!current) break;
      const run = current.batch.ok.length > 0 ? worker.run(current.batch).catch((e: Error) => e) : Promise.resolve(new EncoderError('nothing to run'));
      next = prepareNext();
      if (running) store(...(await running));
      running = run.then((out) => [current, out]);
    }
    if (running) store(...(await running));
    cancelled = opts.signal?.aborted ?? false;
    progress(true);
  } catch (caught) {
    let err = caught;
    if (err instanceof CatalogError && err.code === 'DISK_FULL') {
      // What the user needs: how much is safely stored (each batch is one transaction) and how to go on.
      err = new CatalogError(
        `the disk holding the catalog is full (${catalog.file}): ${embedded} vector(s) of this job were stored before it filled, the batch being written was not; free some space and continue with \`altmoe embed --resume ${jobId}\``,
        'DISK_FULL',
        { cause: caught },
      );
    }
    try {
      catalog.write(() => catalog.jobs.finish(jobId, 'failed', null, (err as Error).message, Date.now()));
    } catch {
      // A full disk refuses this too: the job's row still names this process, so once it has
      // exited the job reads as interrupted and resumes the same way.
    }
    throw err;
  } finally {
    await worker.close();
  }
  const report: EmbedReport = {
    jobId,
    encoder: row.name,
    provider: worker.provider,
    skipped: alreadyDone,
    embedded,
    failed,
    failures,
    cancelled,
    seconds: (performance.now() - started) / 1000,
    startupSeconds,
  };
  catalog.write(() => catalog.jobs.finish(jobId, cancelled ? 'cancelled' : 'done', report, null, Date.now()));
  return report;
}

/** Runs a cancelled or crashed embedding job again with its recorded parameters; done items are skipped. */
export function resumeEmbedJob(catalog: Catalog, jobId: string, opts: Omit<EmbedOptions, 'encoder' | 'dataset' | 'batchSize' | 'jobId'> = {}): Promise<EmbedReport> {
  const job = catalog.jobs.get(jobId);
  if (!job || job.kind !== 'embed') throw new EncoderError(`no embedding job "${jobId}"`);
  const pid = jobParams(job).pid;
  if ((job.status === 'running' || job.status === 'queued') && typeof pid === 'number' && pid !== process.pid && isProcessAlive(pid)) {
    throw new EncoderError(`embedding job "${jobId}" is still running (process ${pid})`);
  }
  const p = JSON.parse(job.params) as { encoder: string; dataset: string | null; batchSize: number; provider: Provider };
  return runEmbedJob(catalog, { provider: p.provider, ...opts, encoder: p.encoder, ...(p.dataset ? { dataset: p.dataset } : {}), batchSize: p.batchSize, jobId });
}
