import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTraining } from '../../src-main/core/train/runner.ts';
import { train } from '../../src-main/core/train/trainer.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../../src-main/core/train/checkpoint.ts';
import { type TrainEvent } from '../../src-main/core/train/job.ts';
import { tempDir } from '../helpers.ts';
import { moeJob, synthetic } from './fixtures.ts';
import { buildModel } from '../../src-main/core/model/build.ts';

const base = moeJob;

describe('training runner (worker thread)', () => {
  it('runs off the calling thread, streams progress, and can be cancelled', async () => {
    const dir = tempDir();
    const events: TrainEvent[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const h = startTraining(base(dir, 100_000), { train: { main: synthetic(256, 8, 4, 0.1, 1) } }, (e) => {
      events.push(e);
      if (e.type === 'progress' && e.step >= 20) h.cancel();
    });
    const r = await h.done;
    clearInterval(timer);
    // The caller's event loop kept running while the worker trained.
    expect(ticks).toBeGreaterThan(3);
    expect(r.step).toBeGreaterThanOrEqual(20);
    expect(r.step).toBeLessThan(100_000);
    expect(events.at(-1)).toMatchObject({ type: 'done', reason: 'cancelled' });
    expect(readCheckpoint(path.join(dir, CHECKPOINT_FILE)).step).toBe(r.step);
  });

  it('a held job stops at each target with its checkpoint saved, goes on as told, and ends as one straight run', async () => {
    const data = { train: { main: synthetic(256, 8, 4, 0.1, 3) } };
    const straight = tempDir();
    await train(buildModel, base(straight, 30), data, () => {});
    const dir = tempDir();
    const holds: [number, number][] = [];
    const starts: TrainEvent[] = [];
    // The same job as the straight one (its schedule spans 30 steps), started with a target of 10.
    const h = startTraining({ ...base(dir, 30), steps: 10 }, data, (e) => e.type === 'started' && starts.push(e), async (step) => {
      // What the caller sees while the worker waits: the checkpoint of exactly this step.
      holds.push([step, readCheckpoint(path.join(dir, CHECKPOINT_FILE)).step]);
      return step < 30 ? step + 10 : 0;
    });
    expect((await h.done).step).toBe(30);
    expect(holds).toEqual([[10, 10], [20, 20], [30, 30]]);
    expect(starts).toHaveLength(1); // one job, one set of sessions
    const a = readCheckpoint(path.join(straight, CHECKPOINT_FILE)).params;
    const b = readCheckpoint(path.join(dir, CHECKPOINT_FILE)).params;
    for (const [name, v] of a) expect(Array.from(b.get(name)!), name).toEqual(Array.from(v));
  });

  it('reports a failing job as a rejected promise with the reason', async () => {
    const bad = { train: { main: { x: synthetic(16, 8, 4, 0.1, 1).x! } } };
    const h = startTraining(base(tempDir(), 5), bad, () => {});
    await expect(h.done).rejects.toThrow(/training data of task "main" lacks column "y"/);
  });

  it('a run killed with SIGKILL resumes from its last checkpoint and ends where an uninterrupted run ends', async () => {
    const steps = 60;
    const data = { train: { main: synthetic(512, 8, 4, 0.1, 2) } };
    const straight = tempDir();
    await train(buildModel, base(straight, steps), data, () => {});

    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'train-child.ts'), dir, String(steps)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const killedAt = await new Promise<number>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /checkpoint (\d+)/g;
        let last = 0;
        for (const x of out.matchAll(m)) last = Number(x[1]);
        if (last >= 20 && !child.killed) {
          child.kill('SIGKILL');
          resolve(last);
        }
      });
    });
    await new Promise((r) => child.on('exit', r));
    expect(out).not.toMatch(/done/);
    const saved = readCheckpoint(path.join(dir, CHECKPOINT_FILE)).step;
    expect(saved).toBeGreaterThanOrEqual(killedAt);
    expect(saved).toBeLessThan(steps);

    const events: TrainEvent[] = [];
    await train(buildModel, { ...base(dir, steps), resume: true }, data, (e) => events.push(e));
    expect(events[0]).toMatchObject({ type: 'started', resumed: true, step: saved });
    const a = readCheckpoint(path.join(straight, CHECKPOINT_FILE));
    const b = readCheckpoint(path.join(dir, CHECKPOINT_FILE));
    expect(b.step).toBe(steps);
    for (const [name, va] of a.params) expect(Array.from(b.params.get(name)!), name).toEqual(Array.from(va));
  });
});
