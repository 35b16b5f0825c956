// altmoe demo on a small slice of the real data (60 drawings of openclipart-svg, the npm encoders,
// a short budget): the catalog is complete, the run has test metrics beside its baselines, a text
// query finds an image whose title shares its words; a second run reuses everything; a kill during
// embedding then a rerun completes.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { CLIPART_DIR } from '../../src-main/core/demo/clipart.ts';
import { runDemo } from '../../src-main/core/demo/demo.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { validatePayload } from '../../src-main/core/service/validate.ts';
import type { JobInfo } from '../../src-shared/api.ts';
import { tempDir } from '../helpers.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/altmoe.js');
const words = (s: string) => new Set(s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 2));

describe('altmoe demo', () => {
  it.runIf(fs.existsSync(CLIPART_DIR))(
    'builds a complete, trained, searchable catalog; a second run reuses it in a tenth of the time; a kill during embedding resumes',
    async () => {
      const dir = tempDir();
      const file = path.join(dir, 'demo', 'demo.db');
      fs.mkdirSync(path.dirname(file));
      const c = Catalog.open(file);
      const stages: string[] = [];
      const first = await runDemo(c, { items: 60, budgetSeconds: 3, threads: 2, onProgress: (p) => stages.push(p.name) });
      expect(new Set(stages)).toEqual(new Set(['drawings', 'encoders', 'embedding images', 'embedding titles', 'training', 'samples']));
      // Every item has its vector.
      for (const [enc, modality] of [['mobilenet', 'image'], ['use', 'text']] as const) {
        const e = c.encoders.get(enc)!;
        expect(c.embeddings.countMissing(e.id, e.file_hash, modality, null), enc).toBe(0);
        expect(c.embeddings.count(e.id)).toBe(c.items.counts(c.datasets.get('openclipart')!.id)[modality]);
      }
      // A run with test metrics beside every baseline.
      const test = first.summary.test['image-text']!;
      expect(test.split).toBe('test');
      expect(Object.keys(test.baselines).sort()).toEqual(['asif', 'cca', 'knn', 'ridge']);
      const chance = 2 * 100 * [1, 5, 10].reduce((sum, k) => sum + Math.min(1, k / test.items), 0);
      expect(test.connector.rsum).toBeGreaterThan(chance);
      // A text query returns an image whose title shares its words.
      expect(first.samples.length).toBeGreaterThan(0);
      expect(first.samples.some((s) => s.hits.some((h) => [...words(h.title)].some((w) => words(s.query).has(w))))).toBe(true);
      c.close();

      const again = Catalog.open(file);
      const second = await runDemo(again, { items: 60, budgetSeconds: 3, threads: 2 });
      again.close();
      expect(second.reused).toBe(true);
      expect(second.runId).toBe(first.runId);
      expect(second.seconds).toBeLessThan(first.seconds / 10);

      // A kill during embedding, through the CLI, then a rerun that completes.
      const other = path.join(dir, 'killed.db');
      const child = spawn(process.execPath, [BIN, 'demo', '--items', '30', '--budget', '2', '--threads', '1', '--no-serve', '--catalog', other]);
      let stderr = '';
      const killed = new Promise<NodeJS.Signals | null>((resolve) => {
        child.stderr.on('data', (d) => {
          stderr += d;
          if (/embedding images \d+\/30/.test(stderr) && !child.killed) child.kill('SIGKILL');
        });
        child.on('exit', (_code, signal) => resolve(signal));
      });
      expect(await killed).toBe('SIGKILL');
      const rerun = spawnSync(process.execPath, [BIN, 'demo', '--items', '30', '--budget', '2', '--threads', '2', '--no-serve', '--catalog', other], { encoding: 'utf8' });
      expect(rerun.status, rerun.stderr).toBe(0);
      expect(rerun.stdout).toMatch(/sample searches/);
      const k = Catalog.open(other);
      const e = k.encoders.get('mobilenet')!;
      expect(k.embeddings.count(e.id)).toBe(k.items.counts(k.datasets.get('openclipart')!.id).image);
      k.close();
    },
    400_000,
  );

  it.runIf(fs.existsSync(CLIPART_DIR))('the empty UI\'s button: demo:start fills an empty catalog as a job in its own process; a catalog with data refuses', async () => {
    const dir = tempDir();
    const c = Catalog.open(path.join(dir, 'c.db'));
    const service = new EngineService(c, { version: 't', mode: 'server', threads: 2 });
    try {
      const updates: JobInfo[] = [];
      service.on((event, payload) => event === 'job:update' && updates.push(payload as JobInfo));
      const { jobId } = await service.handle('demo:start', validatePayload('demo:start', { items: 20, budgetSeconds: 2 }));
      const until = Date.now() + 300_000;
      while (!['done', 'failed', 'cancelled'].includes(updates.filter((u) => u.jobId === jobId).at(-1)?.status ?? '') && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      expect(updates.filter((u) => u.jobId === jobId).at(-1)).toMatchObject({ kind: 'demo', status: 'done' });
      expect(updates.some((u) => u.jobId === jobId && /demo \d\/6: embedding images/.test(u.progress?.phase ?? ''))).toBe(true);
      expect(c.runs.list().find((r) => r.name === 'demo')?.status).toBe('done');
      const hits = await service.handle('search:query', { query: { text: 'a red flower' }, to: ['image'], k: 3 });
      expect(hits.hits.length).toBe(3);
      c.write(() => c.datasets.upsert('mine', 'folder', dir, Date.now()));
      await expect(service.handle('demo:start', {})).rejects.toThrow(/already holds your datasets; run "altmoe demo"/);
    } finally {
      await service.close();
      c.close();
    }
  }, 400_000);
});
