import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src-shared/api.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { JobManager } from '../../src-main/core/service/jobs.ts';
import { tempCatalog, tempDir, writeFiles, dump } from '../helpers.ts';
import { catalogWithVectors } from '../runs/fixtures.ts';

const until = async (cond: () => boolean, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('jobs', () => {
  it('cancel answers true only once a running job has stopped; a job still finishing its step answers false and stops later', async () => {
    const m = new JobManager(() => undefined);
    // Stops 50 ms after the signal (a safe point), or ignores it until released.
    const prompt = m.start('embed', 'prompt', ({ signal }) => new Promise<string>((resolve) => signal.addEventListener('abort', () => setTimeout(() => resolve('stopped'), 50))));
    let release!: () => void;
    const stubborn = m.start('train', 'stubborn', () => new Promise<string>((resolve) => (release = () => resolve('late'))));
    const status = (id: string) => m.list().find((j) => j.jobId === id)!.status;
    await until(() => status(prompt) === 'running' && status(stubborn) === 'running');
    expect(await m.cancel(prompt)).toBe(true);
    expect(status(prompt)).toBe('cancelled');
    expect(await m.cancel(stubborn, 200)).toBe(false);
    expect(status(stubborn)).toBe('running');
    release();
    await until(() => status(stubborn) !== 'running');
    expect(status(stubborn)).toBe('cancelled');
    expect(await m.cancel('no-such-job')).toBe(false);
  });

  it('an exclusive job waits for running jobs and others queue behind it; a queued job can be cancelled', async () => {
    const events: JobInfo[] = [];
    const m = new JobManager((i) => events.push(i));
    const gates: Record<string, () => void> = {};
    const job = (name: string) => () => new Promise<string>((resolve) => (gates[name] = () => resolve(name)));
    const a = m.start('embed', 'a', job('a'));
    const imp = m.start('import', 'imp', job('imp'), { exclusive: true });
    const b = m.start('train', 'b', job('b'));
    const c = m.start('embed', 'c', job('c'));
    await until(() => gates.a !== undefined);
    const status = (id: string) => m.list().find((j) => j.jobId === id)!.status;
    expect([status(a), status(imp), status(b), status(c)]).toEqual(['running', 'queued', 'queued', 'queued']);
    expect(await m.cancel(c)).toBe(true);
    expect(status(c)).toBe('cancelled');
    gates.a!();
    await until(() => gates.imp !== undefined);
    expect([status(a), status(imp), status(b)]).toEqual(['done', 'running', 'queued']);
    gates.imp!();
    await until(() => gates.b !== undefined);
    gates.b!();
    await until(() => status(b) === 'done');
    expect(gates.c).toBeUndefined();
    // A queued job's updates say what it waits for; its statuses still go queued -> running -> done.
    const seq = events.filter((e) => e.jobId === imp).map((e) => e.status);
    expect(seq.filter((x, i) => x !== seq[i - 1])).toEqual(['queued', 'running', 'done']);
    expect(events.find((e) => e.jobId === imp && e.waiting)?.waiting).toMatch(/waits for "a"/);
  });

  it('imports run in a worker thread with progress, and a bad source fails the job with its message, leaving the catalog unchanged', async () => {
    const d = tempDir();
    const c = tempCatalog(d);
    const service = new EngineService(c, { version: 't', mode: 'server' });
    const updates: JobInfo[] = [];
    service.on((event, payload) => event === 'job:update' && updates.push(payload as JobInfo));
    writeFiles(d, { 'media/a.png': 'x', 'media/a.txt': 'a red ball', 'bad.json': '{"images": [' });
    const ok = (await service.handle('import:start', { format: 'folder', source: path.join(d, 'media'), name: 'm' })).jobId;
    await until(() => updates.some((u) => u.jobId === ok && u.status !== 'running' && u.status !== 'queued'));
    const done = updates.filter((u) => u.jobId === ok).at(-1)!;
    expect(done).toMatchObject({ status: 'done', result: { dataset: 'm', pairs: { added: 1 } } });
    expect(updates.some((u) => u.jobId === ok && u.progress !== null)).toBe(true);
    // Everything but the jobs table, which records the failed job.
    const data = () => dump(c).replace(/"jobs":\[.*?\],"counters"/, '"counters"');
    const before = data();
    const bad = (await service.handle('import:start', { format: 'coco', source: path.join(d, 'bad.json') })).jobId;
    await until(() => updates.some((u) => u.jobId === bad && (u.status === 'failed' || u.status === 'done')));
    expect(updates.filter((u) => u.jobId === bad).at(-1)).toMatchObject({ status: 'failed', error: expect.stringMatching(/bad\.json/) });
    expect(data()).toBe(before);
    expect(c.jobs.get(bad)).toMatchObject({ status: 'failed', kind: 'import' });
    // A source that does not exist is refused at submission: no job.
    await expect(service.handle('import:start', { format: 'coco', source: path.join(d, 'nope.json') })).rejects.toThrow(/no such file or folder/);
    await service.close();
  });

  it('connector training runs in its own process: events arrive, cancel stops it, resume finishes it, bad requests fail clearly', async () => {
    const { c } = await catalogWithVectors();
    const service = new EngineService(c, { version: 't', mode: 'server', threads: 1 });
    const updates: JobInfo[] = [];
    const events: string[] = [];
    service.on((event, payload) => {
      if (event === 'job:update') updates.push(payload as JobInfo);
      else events.push((payload as { event: { type: string } }).event.type);
    });
    const last = (id: string) => updates.filter((u) => u.jobId === id).at(-1);
    const settled = (id: string) => until(() => ['done', 'failed', 'cancelled'].includes(last(id)?.status ?? ''), 60_000);
    const job = (await service.handle('train:start', { pairs: [['image', 'text']], preset: 'laptop', steps: 600, evalEvery: 50, batchSize: 32 })).jobId;
    // The job thread keeps the caller's event loop free: timers fire while it trains.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    await until(() => events.includes('recall'), 60_000);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
    // Answered once the training process has stopped, as the API promises.
    expect(await service.handle('jobs:cancel', { jobId: job })).toEqual({ cancelled: true });
    expect(last(job)?.status).toBe('cancelled');
    const runs = await service.handle('runs:list', undefined);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('cancelled');
    expect(last(job)?.runId).toBe(runs[0]!.id);
    const resumed = (await service.handle('train:resume', { run: runs[0]!.id })).jobId;
    await settled(resumed);
    expect(last(resumed)).toMatchObject({ status: 'done' });
    expect((await service.handle('runs:list', undefined))[0]).toMatchObject({ id: runs[0]!.id, status: 'done' });
    // A request that cannot train is refused at submission, before any job exists.
    const jobsBefore = (await service.handle('jobs:list', undefined)).length;
    await expect(service.handle('train:start', { pairs: [['image', 'audio']], preset: 'laptop' })).rejects.toThrow(/no audio encoder/);
    expect((await service.handle('jobs:list', undefined)).length).toBe(jobsBefore);
    // A request without a preset trains the default one, and its job says which.
    const auto = (await service.handle('train:start', { pairs: [['image', 'text']], budgetSeconds: 1, steps: 20, evalEvery: 10 })).jobId;
    expect((await service.handle('jobs:list', undefined)).find((j) => j.jobId === auto)?.title).toBe('train image<->text (auto)');
    await service.jobs.cancel(auto);
    await settled(auto);
    await service.close();
  });
});
