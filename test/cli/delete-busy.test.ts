// The CLI refuses to delete a dataset while a job of any process may be reading it, as the API
// does; a job whose process is gone does not hold it (it is marked interrupted first).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { EngineService } from '../../src-main/core/service/service.ts';
import { cliOn, tempDir } from '../helpers.ts';

describe('deleting what a running job uses', () => {
  it('delete-dataset is refused while another live process has a job running, and goes through once that process is gone', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'ds'));
    fs.writeFileSync(path.join(dir, 'ds', 'notes.txt'), 'hello');
    fs.writeFileSync(path.join(dir, 'm.jsonl'), '{"caption": "a caption", "path": "a.png"}\n');
    const file = path.join(dir, 'catalog.db');
    expect((await cliOn(file, ['import', 'manifest', path.join(dir, 'm.jsonl'), '--root', path.join(dir, 'ds'), '--name', 'mine'])).code).toBe(0);
    // Another process with an embed job on record (what `altmoe embed` in a second terminal writes).
    const other = spawn('sleep', ['60']);
    const c = Catalog.open(file, { create: false });
    try {
      c.write(() => {
        c.jobs.create('job-of-another-process', 'embed', { pid: other.pid, request: { encoder: 'img' } }, Date.now(), 'embed with img');
        c.jobs.progress('job-of-another-process', {}, Date.now());
      });
      // The UI lists it as another process's job: shown, not offered for cancel (the API cannot stop it).
      const service = new EngineService(c, { version: 't', mode: 'server' });
      try {
        const listed = (await service.handle('jobs:list', undefined)).find((j) => j.jobId === 'job-of-another-process');
        expect(listed).toMatchObject({ status: 'running', external: true });
        expect(await service.handle('jobs:cancel', { jobId: 'job-of-another-process' })).toEqual({ cancelled: false });
      } finally {
        await service.close();
      }
      const refused = await cliOn(file, ['delete-dataset', 'mine']);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/^altmoe: error: a job is running \(embed "embed with img", job job-of-another-process\); delete the dataset when it has finished\n$/);
      expect(c.datasets.get('mine')).toBeDefined();
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
      const deleted = await cliOn(file, ['delete-dataset', 'mine']);
      expect(deleted.code, deleted.err).toBe(0);
      expect(c.datasets.get('mine')).toBeUndefined();
      expect(c.jobs.get('job-of-another-process')?.status).toBe('interrupted');
    } finally {
      other.kill('SIGKILL');
      c.close();
    }
  });
});
