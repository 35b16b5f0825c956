// The engine behind the API contract: one method per request channel, pushed events for long jobs.
// Electron's IPC handlers and the HTTP server both call it, after validating payloads.
import { definedOnly } from '../../../src-shared/objects.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiEvents, ApiRequests, EventChannel, JobInfo, RequestChannel, TrainRequest } from '../../../src-shared/api.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { connectorInWorker } from '../runs/connector-runner.ts';
import { deleteRun } from '../runs/run.ts';
import { type RunEvent } from '../runs/events.ts';
import { checkResumable, checkTrainRequest, trainOptions } from '../runs/request.ts';
import { deleteDataset } from '../datasets/delete.ts';
import { checkImportSource } from '../datasets/request.ts';
import { DEMO_DATASET } from '../demo/demo.ts';
import { demoInWorker } from '../demo/demo-runner.ts';
import { jobParams, reconcileJobs } from '../catalog/job-records.ts';
import type { JobRow } from '../catalog/repos/jobs.ts';
import { asFileSystemError, UserError } from '../util/errors.ts';
import { requireEncoder } from '../encoders/registry.ts';
import { previewImport, READERS } from '../datasets/import.ts';
import { importInWorker } from '../datasets/import-runner.ts';
import { resumeEmbedJob, runEmbedJob, type EmbedOptions } from '../encoders/embed-job.ts';
import { addEncoder } from '../encoders/registry.ts';
import { KNOWN_ENCODERS } from '../encoders/hub/known.ts';
import { startBuild, startPull } from './encoder-jobs.ts';
import { presetInfos } from '../model/presets.ts';
import { providersHere } from '../onnx/probe.ts';
import type { QueryInput } from '../search/engine.ts';
import { SearchWorker } from '../search/search-client.ts';
import { JobManager } from './jobs.ts';
import { runInfo, servingRuns, trainEventInfo } from './run-info.ts';
import { itemDetail } from './item-detail.ts';
import { duplicatesInWorker } from '../duplicates/duplicates-runner.ts';
import { itemInfos, markDuplicates } from '../duplicates/report.ts';
import { readMap } from '../map/map.ts';
import { mapInWorker } from '../map/map-runner.ts';
import { sourceId } from '../map/map-source.ts';

export type Listener = <E extends EventChannel>(event: E, payload: ApiEvents[E]) => void;

export const CUDA_HELP =
  'CUDA is not bundled: with CUDA 12 and cuDNN 9 on the machine and network access, run "ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node" in the app folder, then restart.';

type Handlers = { [C in RequestChannel]: (payload: ApiRequests[C]['payload']) => Promise<ApiRequests[C]['result']> | ApiRequests[C]['result'] };

export interface ServiceOptions {
  version: string;
  mode: 'electron' | 'server';
  /** Where connector runs keep their files (default: next to the catalog). */
  runsDir?: string;
  threads?: number;
  /** In-memory vector storage of the search engine (see SearchOptions.storage). */
  storage?: 'float32' | 'int8';
  /** Search a PostgreSQL + pgvector store (a postgres:// URL) instead of the local catalog. */
  store?: string;
  exact?: boolean;
  efSearch?: number;
}

export class EngineService {
  private readonly listeners = new Set<Listener>();
  readonly jobs: JobManager;
  /** Started on the first query (or by warmSearch): the engine and its indexes live in their own thread. */
  private searcher: SearchWorker | null = null;
  /** The search thread stays for the service's life (a server or the desktop app), not let go when idle. */
  private keepSearch = false;
  private readonly handlers: Handlers;

  constructor(
    readonly catalog: Catalog,
    private readonly options: ServiceOptions,
  ) {
    // Jobs a crash left running are interrupted; from now on each job has its row from the start.
    reconcileJobs(catalog);
    this.jobs = new JobManager((info) => this.emit('job:update', info), catalog.readonly ? undefined : { write: (info, request) => this.recordJob(info, request) });
    this.handlers = this.makeHandlers();
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit<E extends EventChannel>(event: E, payload: ApiEvents[E]): void {
    for (const l of this.listeners) l(event, payload);
  }

  /** Runs one request; the payload must already be validated (see validate.ts). */
  handle<C extends RequestChannel>(channel: C, payload: ApiRequests[C]['payload']): Promise<ApiRequests[C]['result']> {
    // A handler's synchronous throw (a refused request) becomes a rejection like any other failure,
    // and a file-system error (a loop of links, a forbidden folder) one a person can read.
    try {
      return (Promise.resolve((this.handlers[channel] as (p: unknown) => unknown)(payload)) as Promise<ApiRequests[C]['result']>).catch((err: unknown) => {
        throw asFileSystemError(err);
      });
    } catch (err) {
      return Promise.reject(asFileSystemError(err) as Error);
    }
  }

  /**
   * Starts the search thread now, loads what a text query needs (its encoder, the connectors, the
   * indexes) and keeps it while the service runs: the first query, and one after an idle hour,
   * answer as fast as any other.
   */
  warmSearch(): Promise<void> {
    this.keepSearch = true;
    return this.searchWorker().warm();
  }

  /** Whether the search thread is up (tests: a server warms it at start). */
  get searchRunning(): boolean {
    return this.searcher?.running ?? false;
  }

  private searchWorker(): SearchWorker {
    const { storage, store, exact, efSearch } = this.options;
    this.searcher ??= new SearchWorker(this.catalog.file, { cacheDir: `${this.catalog.file}.index`, ...definedOnly({ storage, store, exact, efSearch }) }, this.keepSearch ? 0 : undefined);
    return this.searcher;
  }

  async close(): Promise<void> {
    await this.jobs.stopAll();
    await this.searcher?.close();
  }

  private recordJob(info: JobInfo, request: unknown): void {
    const c = this.catalog;
    const now = Date.now();
    c.write(() => {
      const row = c.jobs.get(info.jobId);
      const params = { ...(row ? jobParams(row) : {}), pid: process.pid, request, ...(info.runId !== undefined ? { runId: info.runId } : {}) };
      if (!row) c.jobs.create(info.jobId, info.kind, params, now, info.title);
      else c.jobs.setParams(info.jobId, params, now);
      if (info.status === 'running') c.jobs.progress(info.jobId, info.progress ?? {}, now);
      else if (info.status !== 'queued') c.jobs.finish(info.jobId, info.status, info.result ?? null, info.error ?? null, now);
    });
  }

  /** Live jobs of this service first, then every recorded one (earlier processes, the CLI). */
  private listJobs(): JobInfo[] {
    reconcileJobs(this.catalog);
    const live = this.jobs.list();
    const seen = new Set(live.map((j) => j.jobId));
    const recorded = this.catalog.jobs
      .list()
      .filter((r) => !seen.has(r.id))
      .map(recordedJobInfo);
    return [...live, ...recorded].sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
  }

  private startEmbed(p: EmbedOptions & { encoder: string }, resumeJobId?: string): string {
    const c = this.catalog;
    return this.jobs.start(
      'embed',
      `embed with ${p.encoder}${p.dataset ? ` (${p.dataset})` : ''}`,
      (ctx) => {
        const exec = {
          jobId: ctx.jobId,
          signal: ctx.signal,
          ...(this.options.threads ? { threads: this.options.threads } : {}),
          onProgress: (e: { done: number; total: number; itemsPerSecond: number; etaSeconds: number | null; failed: number }) =>
            ctx.progress({ phase: 'embedding', done: e.done, total: e.total, message: `${e.itemsPerSecond.toFixed(1)} items/s${e.etaSeconds !== null ? `, ${Math.ceil(e.etaSeconds)} s left` : ''}${e.failed ? `, ${e.failed} failed` : ''}` }),
        };
        return resumeJobId ? resumeEmbedJob(c, resumeJobId, { ...(p.provider ? { provider: p.provider } : {}), ...exec }) : runEmbedJob(c, { ...p, ...exec });
      },
      { request: p, ...(resumeJobId ? { jobId: resumeJobId } : {}) },
    );
  }

  private startImport(p: ApiRequests['import:start']['payload']): string {
    const c = this.catalog;
    return this.jobs.start('import', `import ${p.format} ${path.basename(p.source)}`, (ctx) => importInWorker(c.file, p.format, p.source, p, ctx.progress, ctx.signal), { exclusive: true, request: p });
  }

  /**
   * The demo, into this catalog when it is empty (the button of the empty UI); the CLI's
   * "altmoe demo" builds a separate demo catalog instead. Its stages skip what is done, so starting
   * it again resumes.
   */
  private startDemo(p: ApiRequests['demo:start']['payload']): string {
    const c = this.catalog;
    const own = c.datasets.list().every((d) => d.name === DEMO_DATASET);
    if (!own) throw new UserError('this catalog already holds your datasets; run "altmoe demo" for a separate demo catalog');
    if (this.jobs.list().some((j) => j.status === 'running' || j.status === 'queued')) throw new UserError('a job is running; start the demo when it has finished');
    return this.jobs.start(
      'demo',
      'demo: real clipart, trained and searchable',
      (ctx) =>
        demoInWorker(c.file, { ...p, ...(this.options.threads ? { threads: this.options.threads } : {}) }, (e) => ctx.progress({ phase: `demo ${e.stage}/${e.of}: ${e.name}`, done: e.done ?? e.stage - 1, total: e.total ?? e.of, message: e.etaSeconds !== null ? `about ${Math.ceil(e.etaSeconds)} s left in all` : '' }), ctx.signal),
      { request: p, exclusive: true },
    );
  }


  private startMap(p: ApiRequests['map:start']['payload']): string {
    const c = this.catalog;
    const source = 'encoder' in p ? { encoder: p.encoder } : { run: p.run, ...(p.pair ? { pair: p.pair } : {}) };
    const { key } = sourceId(c, source); // an unknown encoder, unfinished run or pair it lacks fails here, not in the job
    const options = definedOnly({ seed: p.seed, sample: p.sample, force: p.force, threads: this.options.threads });
    const phases = { vectors: 'reading vectors', neighbours: 'finding neighbours', layout: 'laying out (UMAP)', placing: 'placing the rest' };
    return this.jobs.start('map', `map of ${key.replace(':', ' ').replace(':', ', ')}`, (ctx) => mapInWorker(c.file, source, options, (e) => ctx.progress({ phase: phases[e.phase], done: e.done, total: e.total }), ctx.signal), { request: p });
  }

  /** Starts an interrupted, cancelled or failed job again where it stopped. */
  private resumeJob(jobId: string): string {
    if (this.jobs.list().some((j) => j.jobId === jobId && (j.status === 'running' || j.status === 'queued'))) throw new UserError(`job ${jobId} is still running`);
    reconcileJobs(this.catalog);
    const row = this.catalog.jobs.get(jobId);
    if (!row) throw new UserError(`no job ${jobId} (see "altmoe list jobs")`);
    if (row.status === 'done') throw new UserError(`job ${jobId} is done; nothing to resume`);
    if (row.status === 'running' || row.status === 'queued') throw new UserError(`job ${jobId} is still running`);
    const params = jobParams(row);
    if (row.kind === 'train') {
      if (typeof params.runId !== 'number') throw new UserError(`job ${jobId} ended before its run was created; start the training again`);
      checkResumable(this.catalog, params.runId);
      return this.startTraining(null, params.runId);
    }
    if (row.kind === 'embed') {
      const p = JSON.parse(row.params) as { encoder: string; provider?: 'cpu' | 'webgpu' | 'cuda' };
      requireEncoder(this.catalog, p.encoder);
      return this.startEmbed({ encoder: p.encoder, ...(p.provider ? { provider: p.provider } : {}) }, jobId);
    }
    if (row.kind === 'import' && params.request) return this.startImport(params.request as ApiRequests['import:start']['payload']);
    if (row.kind === 'map' && params.request) return this.startMap(params.request as ApiRequests['map:start']['payload']);
    if (row.kind === 'encoder' && params.request && 'repo' in (params.request as object)) return startPull(this.jobs, this.catalog.file, params.request as ApiRequests['encoders:pull']['payload']);
    if (row.kind === 'encoder' && params.request) return startBuild(this.jobs, this.catalog.file, params.request as ApiRequests['encoders:build']['payload']);
    if (row.kind === 'demo') return this.startDemo((params.request ?? {}) as ApiRequests['demo:start']['payload']);
    throw new UserError(`job ${jobId} (${row.kind}) cannot be resumed here`);
  }

  private get runsDir(): string {
    return this.options.runsDir ?? `${this.catalog.file}.runs`;
  }

  private makeHandlers(): Handlers {
    const c = this.catalog;
    return {
      'app:info': () => ({ version: this.options.version, catalog: c.file, readonly: c.readonly, platform: process.platform, mode: this.options.mode }),
      'catalog:stats': () => c.stats(),
      'formats:list': () => Object.values(READERS).map((r) => ({ format: r.format, description: r.description, input: r.input })),
      'import:preview': (p) => previewImport(p.format, p.source, p),
      'import:start': (p) => {
        checkImportSource(p.source); // a missing source fails here, not in the job
        return { jobId: this.startImport(p) };
      },
      'encoders:add': async (p) => {
        const r = await addEncoder(c, p.dir, p);
        return { name: r.name, modality: r.spec.modality, dim: r.spec.dim, pooling: r.spec.pooling, hash: r.hash, status: r.status, deletedVectors: r.deletedVectors };
      },
      'encoders:build': (p) => ({ jobId: startBuild(this.jobs, c.file, p) }),
      'encoders:pull': (p) => ({ jobId: startPull(this.jobs, c.file, p) }),
      'encoders:known': () => [...KNOWN_ENCODERS],
      'embed:start': (p) => {
        requireEncoder(c, p.encoder);
        if (p.dataset !== undefined && !c.datasets.get(p.dataset)) throw new UserError(`no dataset named "${p.dataset}"`);
        return { jobId: this.startEmbed(p) };
      },
      'providers:list': async () => ({ providers: await providersHere(), cudaHelp: CUDA_HELP }),
      'presets:list': () => presetInfos(),
      'runs:list': () => {
        const serving = servingRuns(c);
        return c.runs.list().map((r) => runInfo(r, c.metrics.forRun(r.id), serving.get(r.id) ?? []));
      },
      'runs:metrics': (p) => c.metrics.forRun(p.run).map((m) => ({ step: m.step, split: m.split, name: m.name, value: m.value })),
      'runs:delete': (p) => {
        deleteRun(c, p.run);
        return { deleted: p.run };
      },
      'datasets:delete': (p) => {
        if (this.jobs.list().some((j) => j.status === 'running' || j.status === 'queued')) throw new UserError('a job is running; delete the dataset when it has finished');
        return deleteDataset(c, p.dataset);
      },
      'train:start': (p) => {
        // Checked completely before a job exists: encoders, datasets, paired vectors, splits, memory.
        checkTrainRequest(c, trainOptions(p, this.runsDir));
        return { jobId: this.startTraining(p) };
      },
      'train:resume': (p) => {
        checkResumable(c, p.run);
        return { jobId: this.startTraining(null, p.run) };
      },
      'jobs:list': () => this.listJobs(),
      'jobs:cancel': async (p) => ({ cancelled: await this.jobs.cancel(p.jobId) }),
      'jobs:resume': (p) => ({ jobId: this.resumeJob(p.jobId) }),
      'demo:start': (p) => ({ jobId: this.startDemo(p) }),
      'map:start': (p) => ({ jobId: this.startMap(p) }),
      'map:get': (p) => readMap(c, p),
      'items:get': (p) => itemInfos(c, p.ids),
      'items:detail': (p) => itemDetail(c, p.id),
      'duplicates:find': (p) => duplicatesInWorker(c.file, p),
      'duplicates:mark': (p) => ({ changed: markDuplicates(c, p.item, p.others, p.different) }),
      'search:query': async (p) => {
        const started = performance.now();
        const { query, cleanup } = materialise(p.query);
        try {
          // Every target that can answer does; the others say why (the UI offers the fix).
          const { hits, unavailable } = await this.searchWorker().searchSections({ ...p, query });
          return { hits, unavailable, ms: performance.now() - started };
        } finally {
          cleanup();
        }
      },
    };
  }

  private startTraining(p: TrainRequest | null, resumeRun?: number): string {
    const c = this.catalog;
    const title = p ? `train ${p.pairs.map((x) => x.join('<->')).join(', ')} (${p.preset ?? 'auto'})` : `resume run ${resumeRun}`;
    return this.jobs.start('train', title, async (ctx) => {
      let runId: number | null = resumeRun ?? null;
      let budget: { start: number; seconds: number } | null = null;
      if (runId !== null) this.jobs.attachRun(ctx.jobId, runId);
      const onEvent = (e: RunEvent): void => {
        if (e.type === 'created') {
          runId = e.runId;
          this.jobs.attachRun(ctx.jobId, runId);
        }
        const info = trainEventInfo(e);
        // An auto run is bounded by its time budget more than by steps: its bar follows whichever
        // is further along (in thousandths), and says what is left.
        if (e.type === 'trial' && budget === null) budget = { start: Date.now(), seconds: e.secondsLeft };
        if (e.type === 'progress') {
          const elapsed = budget ? (Date.now() - budget.start) / 1000 : 0;
          const share = Math.max(e.step / e.steps, budget ? Math.min(1, elapsed / budget.seconds) : 0);
          const left = budget ? `${Math.max(0, Math.round(budget.seconds - elapsed))} s of the time budget left` : `step ${e.step} of ${e.steps}`;
          ctx.progress({ phase: 'training', done: Math.round(1000 * share), total: 1000, message: `${left} · ${e.task} loss ${e.loss.toFixed(4)}` });
        }
        if (e.type === 'chosen') ctx.progress({ phase: 'evaluating on the held-out split', done: 1000, total: 1000, message: 'tuning the baselines and testing what the run serves' });
        if (info) this.emit('train:event', { jobId: ctx.jobId, runId, event: info });
      };
      const exec = { ...(this.options.threads ? { threads: this.options.threads } : {}), ...(p?.provider ? { provider: p.provider } : {}) };
      if (!p) return connectorInWorker(c.file, { kind: 'resume', runId: resumeRun!, exec }, onEvent, ctx.signal);
      const options = trainOptions(p, this.runsDir, exec);
      return connectorInWorker(c.file, { kind: 'train', options }, onEvent, ctx.signal);
    });
  }
}

/** A dropped file arrives as bytes: it is written to a private temp file for the encoder to read. */
function materialise(input: ApiRequests['search:query']['payload']['query']): { query: QueryInput; cleanup: () => void } {
  if (!('file' in input)) return { query: input, cleanup: () => {} };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'altmoe-query-'));
  const ext = path.extname(input.file.name).replace(/[^.\w]/g, '').slice(0, 10);
  const file = path.join(dir, `query${ext}`);
  writeFileSync(file, Buffer.from(input.file.base64, 'base64'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  return { query: input.file.modality === 'image' ? { image: file } : { audio: file }, cleanup };
}

function recordedJobInfo(r: JobRow): JobInfo {
  const params = jobParams(r);
  const result = r.result === null ? undefined : (JSON.parse(r.result) as unknown);
  return {
    jobId: r.id,
    kind: r.kind as JobInfo['kind'],
    title: r.title || r.kind,
    status: r.status,
    progress: null,
    createdAt: r.created_at,
    ...(typeof params.runId === 'number' ? { runId: params.runId } : {}),
    ...(result !== undefined && result !== null ? { result } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.status === 'running' || r.status === 'queued' ? { external: true } : {}),
  };
}

export type { JobInfo };
