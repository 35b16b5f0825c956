// Long jobs (import, embed, train): start returns an id at once, progress arrives as 'job:update'
// events, cancel aborts at the next safe point. Each job's own code keeps what it finished in the
// catalog, so starting it again resumes (embed skips done items, train --resume continues a run).
// An exclusive job (an import: one long write transaction on its own connection) runs alone, so other
// jobs' writes never wait on its lock; jobs started meanwhile queue behind it, in order.
import { randomUUID } from 'node:crypto';
import type { JobInfo } from '../../../src-shared/api.ts';
import type { Progress } from '../../../src-shared/types.ts';

/** How long jobs:cancel waits for a running job to stop before answering that it has not yet. */
export const CANCEL_WAIT_MS = 5000;

export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  progress(p: Progress): void;
}

interface Job {
  info: JobInfo;
  abort: AbortController;
  exclusive: boolean;
  run: (ctx: JobContext) => Promise<unknown>;
}

/** Where jobs are recorded (the catalog's jobs table): each state change, never progress ticks. */
export interface JobStore {
  write(info: JobInfo, request: unknown): void;
}

const PROGRESS_EVERY_MS = 200;

export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private readonly lastSent = new Map<string, number>();

  private readonly requests = new Map<string, unknown>();
  /** Store writes held back while an exclusive job (an import's write transaction) runs. */
  private held: JobInfo[] = [];

  constructor(
    private readonly emit: (info: JobInfo) => void,
    private readonly store?: JobStore,
  ) {}

  start(kind: JobInfo['kind'], title: string, run: (ctx: JobContext) => Promise<unknown>, opts: { exclusive?: boolean; request?: unknown; jobId?: string } = {}): string {
    const jobId = opts.jobId ?? randomUUID();
    const job: Job = { info: { jobId, kind, title, status: 'queued', progress: null, createdAt: Date.now() }, abort: new AbortController(), exclusive: opts.exclusive === true, run };
    this.jobs.set(jobId, job);
    this.requests.set(jobId, opts.request);
    this.queue.push(job);
    this.record(job.info);
    this.emit({ ...job.info });
    // On the next tick, so the caller has the id before the first event.
    setImmediate(() => this.pump());
    return jobId;
  }

  /** What a queued job waits for, in words (shown with it). */
  private waitReason(job: Job): string | undefined {
    const running = [...this.jobs.values()].filter((j) => j.info.status === 'running');
    const blocker = running.find((j) => j.exclusive) ?? (job.exclusive ? running[0] : undefined);
    if (blocker) return `waits for "${blocker.info.title}" to finish${blocker.exclusive ? ' (an import writes alone)' : ' (an import runs alone)'}`;
    const ahead = this.queue.indexOf(job);
    return ahead > 0 ? `waits behind ${ahead} queued job(s)` : undefined;
  }

  /** Starts queued jobs in order while the exclusivity rule allows. */
  private pump(): void {
    this.flushHeld();
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      const running = [...this.jobs.values()].filter((j) => j.info.status === 'running');
      if (running.some((j) => j.exclusive) || (next.exclusive && running.length > 0)) break;
      this.queue.shift();
      this.launch(next);
    }
    for (const j of this.queue) {
      const waiting = this.waitReason(j);
      if (waiting !== j.info.waiting) {
        j.info.waiting = waiting;
        this.emit({ ...j.info });
      }
    }
  }

  private record(info: JobInfo): void {
    if (!this.store) return;
    const importRunning = [...this.jobs.values()].some((j) => j.exclusive && j.info.status === 'running' && j.info.jobId !== info.jobId);
    if (importRunning) this.held.push({ ...info });
    else this.write(info);
  }

  private flushHeld(): void {
    if ([...this.jobs.values()].some((j) => j.exclusive && j.info.status === 'running')) return;
    const held = this.held;
    this.held = [];
    for (const info of held) this.write(info);
  }

  private write(info: JobInfo): void {
    try {
      this.store!.write(info, this.requests.get(info.jobId));
    } catch (err) {
      // A job must not fail because its record could not be written (a read-only catalog, a lock).
      console.warn(`warning: job ${info.jobId} was not recorded: ${(err as Error).message}`);
    }
  }

  /** Links a train job to its run (its row keeps the run id, so a crash marks the run interrupted). */
  attachRun(jobId: string, runId: number): void {
    const job = this.jobs.get(jobId);
    if (!job || job.info.runId === runId) return;
    job.info.runId = runId;
    this.record(job.info);
  }

  private launch(job: Job): void {
    const { jobId } = job.info;
    job.info.status = 'running';
    delete job.info.waiting;
    this.record(job.info);
    this.emit({ ...job.info });
    const ctx: JobContext = {
      jobId,
      signal: job.abort.signal,
      progress: (p) => {
        job.info.progress = p;
        const now = Date.now();
        // Throttled: a fast job must not flood the renderer; the last update always goes out.
        if (now - (this.lastSent.get(jobId) ?? 0) < PROGRESS_EVERY_MS && p.done !== p.total) return;
        this.lastSent.set(jobId, now);
        this.emit({ ...job.info });
      },
    };
    // A job recorded interrupted at shutdown (stopAll) keeps that status if it ends after all.
    const settle = (status: JobInfo['status'], result?: unknown, error?: string): void => {
      if (job.info.status === 'running') this.finish(job, status, result, error);
    };
    job.run(ctx).then(
      (result) => settle(job.abort.signal.aborted || (result as { cancelled?: boolean })?.cancelled === true ? 'cancelled' : 'done', result),
      (err: unknown) => settle(job.abort.signal.aborted ? 'cancelled' : 'failed', undefined, err instanceof Error ? err.message : String(err)),
    );
  }

  private finish(job: Job, status: JobInfo['status'], result?: unknown, error?: string): void {
    job.info.status = status;
    if (result !== undefined) job.info.result = result;
    if (error !== undefined) job.info.error = error;
    delete job.info.waiting;
    this.lastSent.delete(job.info.jobId);
    this.record(job.info);
    this.emit({ ...job.info });
    this.pump();
  }

  /**
   * Asks a job to stop and answers whether it has: true once it is no longer running (within
   * waitMs), false when it is unknown, already over, or still finishing its current step (it got the
   * signal and stops at its next safe point; its status says when).
   */
  async cancel(jobId: string, waitMs = CANCEL_WAIT_MS): Promise<boolean> {
    const job = this.jobs.get(jobId);
    if (!job) return false;
    if (job.info.status === 'queued') {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.finish(job, 'cancelled');
      return true;
    }
    if (job.info.status !== 'running') return false;
    job.abort.abort();
    const until = Date.now() + waitMs;
    while (job.info.status === 'running' && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    return job.info.status !== 'running';
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => ({ ...j.info }));
  }

  /**
   * Drops queued jobs, cancels running ones and waits (up to timeoutMs) for them to stop; one that
   * has not stopped by then is recorded interrupted (resumable), since its process is about to end.
   */
  async stopAll(timeoutMs = 10_000): Promise<void> {
    for (const j of this.queue.splice(0)) this.finish(j, 'cancelled');
    for (const j of this.jobs.values()) if (j.info.status === 'running') j.abort.abort();
    const until = Date.now() + timeoutMs;
    while ([...this.jobs.values()].some((j) => j.info.status === 'running') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    for (const j of this.jobs.values()) if (j.info.status === 'running') this.finish(j, 'interrupted');
  }
}
