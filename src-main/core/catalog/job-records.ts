// Jobs as the truth: every long job (import, embed, train), whether the service or the CLI runs it,
// has a row in the catalog's jobs table from the moment it starts, with the process that runs it.
// A job whose process is gone while its row says queued or running was cut off by a crash: at
// start-up (and whenever jobs are listed) it becomes 'interrupted', and so does its training run.
import type { Catalog } from './catalog.ts';
import type { JobRow } from './repos/jobs.ts';

export type JobKind = 'import' | 'embed' | 'train' | 'demo' | 'map';

/** What a job's row keeps besides its status: who runs it and what it was asked, to resume it. */
export interface JobParams {
  pid: number;
  request?: unknown;
  /** A train job's run, once it exists. */
  runId?: number;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function jobParams(row: Pick<JobRow, 'params'>): Partial<JobParams> {
  try {
    return JSON.parse(row.params) as Partial<JobParams>;
  } catch {
    return {};
  }
}

/**
 * Marks jobs whose process is gone interrupted, and their runs too; returns their ids. A job row
 * without a process id (written before this existed) counts as gone.
 */
export function reconcileJobs(catalog: Catalog, now = Date.now()): string[] {
  if (catalog.readonly) return [];
  const stale = [...catalog.jobs.withStatus('running'), ...catalog.jobs.withStatus('queued')].filter((row) => {
    const pid = jobParams(row).pid;
    return typeof pid !== 'number' || !isProcessAlive(pid);
  });
  if (stale.length === 0) return [];
  catalog.write(() => {
    for (const row of stale) {
      catalog.jobs.interrupt(row.id, now);
      const runId = jobParams(row).runId;
      const run = typeof runId === 'number' ? catalog.runs.get(runId) : undefined;
      if (run && run.status === 'running') catalog.runs.setStatus(run.id, 'interrupted', now);
    }
  });
  return stale.map((r) => r.id);
}

/**
 * Runs fn as a recorded job of this process: the row exists (queued, then running) before any work,
 * and ends done, cancelled or failed with fn. For the CLI, which runs one job in the foreground.
 */
export async function recordedJob<T>(
  catalog: Catalog,
  job: { id: string; kind: JobKind; title: string; request: unknown },
  fn: (attachRun: (runId: number) => void) => Promise<T>,
  outcome: (result: T) => 'done' | 'cancelled' | 'failed' = () => 'done',
): Promise<T> {
  const params: JobParams = { pid: process.pid, request: job.request };
  catalog.write(() => {
    if (!catalog.jobs.get(job.id)) catalog.jobs.create(job.id, job.kind, params, Date.now(), job.title);
    else catalog.jobs.setParams(job.id, params, Date.now());
    catalog.jobs.progress(job.id, {}, Date.now());
  });
  const attachRun = (runId: number): void => {
    if (params.runId === runId) return;
    params.runId = runId;
    catalog.write(() => catalog.jobs.setParams(job.id, params, Date.now()));
  };
  try {
    const result = await fn(attachRun);
    catalog.write(() => catalog.jobs.finish(job.id, outcome(result), summaryOf(result), null, Date.now()));
    return result;
  } catch (err) {
    catalog.write(() => catalog.jobs.finish(job.id, 'failed', null, err instanceof Error ? err.message : String(err), Date.now()));
    throw err;
  }
}

/** A job's result as stored: JSON-safe and small (no vectors). */
function summaryOf(result: unknown): unknown {
  try {
    const text = JSON.stringify(result ?? null);
    return text.length > 100_000 ? null : JSON.parse(text);
  } catch {
    return null;
  }
}
