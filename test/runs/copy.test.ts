// Copy-safe storage: run folders are stored relative to the catalog's own runs folder, so a copy of
// the catalog never reaches the original's files, and a catalog moved with its folder keeps working.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { evaluateRun } from '../../src-main/core/runs/evaluate-run.ts';
import { exportConnector } from '../../src-main/core/runs/export.ts';
import { deleteRun, trainConnector } from '../../src-main/core/runs/run.ts';
import { runsFolderOf } from '../../src-main/core/runs/config.ts';
import { SearchEngine } from '../../src-main/core/search/engine.ts';
import { cliOn } from '../helpers.ts';
import { catalogWithVectors, SMALL } from './fixtures.ts';

describe('copy-safe run storage', () => {
  it('a backup with a run deleted leaves the original whole; a copy without its folder says what is missing; a moved catalog works', async () => {
    const { dir, c } = await catalogWithVectors();
    const run = await trainConnector(c, { pairs: [['image', 'text']], preset: 'laptop', runsDir: runsFolderOf(c.file), overrides: { ...SMALL, steps: 100, evalEvery: 50 }, threads: 1 });
    // Stored relative to the catalog's own runs folder.
    expect((JSON.parse(c.runs.get(run.runId)!.config) as { dir: string }).dir).toBe(`run-${run.runId}`);
    const evalBefore = await evaluateRun(c, run.runId, 'test');

    // A backup next to the original (the case that once deleted the original's checkpoints).
    const copy = path.join(dir, 'backup.db');
    c.db.exec(`VACUUM INTO '${copy}'`);
    const b = Catalog.open(copy, { create: false });
    try {
      await expect(evaluateRun(b, run.runId, 'test')).rejects.toThrow(/the run's files are missing: .*backup\.db\.runs.*copied or moved without its runs folder/);
      expect(deleteRun(b, run.runId)).toBeNull();
    } finally {
      b.close();
    }
    // The original still evaluates (identically), exports and searches through the run.
    expect((await evaluateRun(c, run.runId, 'test')).pairs).toEqual(evalBefore.pairs);
    expect(exportConnector(c, run.runId, path.join(dir, 'export')).files.length).toBeGreaterThan(0);
    const item = c.db.prepare("SELECT id FROM items WHERE modality = 'image' LIMIT 1").get() as { id: number };
    const engine = new SearchEngine(c);
    expect((await engine.searchByItem({ item: item.id, to: ['text'], k: 5, run: run.runId })).length).toBe(5);
    await engine.close();

    // A partial copy without the best checkpoint: eval and export say so instead of reading the
    // last checkpoint (another model); the last one is there on request.
    const best = path.join(runsFolderOf(c.file), `run-${run.runId}`, 'best.safetensors');
    fs.renameSync(best, `${best}.away`);
    await expect(evaluateRun(c, run.runId, 'test')).rejects.toThrow(/best checkpoint is missing: .*best\.safetensors.*"--checkpoint last"/);
    expect(() => exportConnector(c, run.runId, path.join(dir, 'export-partial'))).toThrow(/best checkpoint is missing/);
    const refused = await cliOn(c.file, ['eval', String(run.runId)]);
    expect([refused.code, refused.err.trim().split('\n')]).toEqual([1, [expect.stringMatching(/^altmoe: error: the run's best checkpoint is missing/)]]);
    const last = await cliOn(c.file, ['eval', String(run.runId), '--checkpoint', 'last', '--json']);
    expect(last.code, last.err).toBe(0);
    expect((JSON.parse(last.out) as { pairs: unknown[] }).pairs).toHaveLength(1);
    fs.renameSync(`${best}.away`, best);
    c.close();

    // Moved with its runs folder to another place: it keeps working.
    const moved = path.join(dir, 'elsewhere');
    fs.mkdirSync(moved);
    fs.renameSync(c.file, path.join(moved, 'catalog.db'));
    for (const ext of ['-wal', '-shm']) if (fs.existsSync(c.file + ext)) fs.renameSync(c.file + ext, path.join(moved, `catalog.db${ext}`));
    fs.renameSync(runsFolderOf(c.file), runsFolderOf(path.join(moved, 'catalog.db')));
    const m = Catalog.open(path.join(moved, 'catalog.db'), { create: false });
    try {
      expect((await evaluateRun(m, run.runId, 'test')).pairs).toEqual(evalBefore.pairs);
      // Deleting there removes that catalog's own folder.
      expect(deleteRun(m, run.runId)).toBe(path.join(runsFolderOf(m.file), `run-${run.runId}`));
      expect(fs.existsSync(path.join(runsFolderOf(m.file), `run-${run.runId}`))).toBe(false);
    } finally {
      m.close();
    }
  }, 120_000);
});
