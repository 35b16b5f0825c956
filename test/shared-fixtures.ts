// Fixtures that take seconds of CPU to build, built once per test run and shared by the files that
// need them (two files run at a time, so the first to ask builds while the other waits for it).
// Files must copy or only read what they get: it is shared.
import fs from 'node:fs';
import path from 'node:path';
import { expect, inject } from 'vitest';
import type { Catalog } from '../src-main/core/catalog/catalog.ts';
import { runCli } from '../src-main/core/cli/main.ts';
import { runsFolderOf } from '../src-main/core/runs/config.ts';
import { trainConnector } from '../src-main/core/runs/run.ts';
import { tempCatalog, tempDir } from './helpers.ts';
import { catalogWithVectors, SMALL } from './runs/fixtures.ts';

async function buildOnce(name: string, build: (dir: string) => Promise<void>, waitMs = 300_000): Promise<string> {
  const root = inject('sharedFixtures');
  const done = path.join(root, name);
  const lock = `${done}.lock`;
  const failed = `${done}.failed`;
  if (fs.existsSync(done)) return done;
  try {
    fs.mkdirSync(lock);
  } catch {
    const until = Date.now() + waitMs;
    while (!fs.existsSync(done)) {
      if (fs.existsSync(failed)) throw new Error(fs.readFileSync(failed, 'utf8'));
      if (Date.now() > until) throw new Error(`the shared fixture "${name}" was not built in ${waitMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return done;
  }
  const partial = `${done}.partial`;
  try {
    await build(partial);
  } catch (err) {
    fs.writeFileSync(failed, `the shared fixture "${name}" failed to build: ${(err as Error).message}`);
    throw err;
  }
  fs.renameSync(partial, done);
  return done;
}

/**
 * The GloVe encoder folder as the demo builds it (100,000 words), made through the CLI a user runs
 * (`altmoe encoder glove DIR --words 100000`): building parses the package's 300 MB of JSON.
 */
export function sharedGlove(): Promise<string> {
  return buildOnce('glove', async (dir) => {
    let said = '';
    const io = { out: (t: string) => (said += `${t}\n`), err: { write: (t: string) => ((said += t), true) } as unknown as NodeJS.WriteStream };
    const code = await runCli(['encoder', 'glove', dir, '--words', '100000'], io);
    // What a user sees: the build says how many words it kept and how to register the folder.
    expect(code, said).toBe(0);
    expect(said).toMatch(/wrote .* \([\d,]+ words, 100 dims\); register it with: altmoe encoder add/);
  });
}

/**
 * A copy of one catalog with vectors (test/runs/fixtures.ts) and one image<->text run of the laptop
 * preset at the SMALL size for 100 steps, trained once per test run. Each copy gets its own catalog
 * id: it stands for another catalog (a store keeps catalogs apart by it).
 */
export async function trainedCatalogCopy(): Promise<{ dir: string; c: Catalog; runId: number }> {
  const template = await buildOnce('trained-catalog', async (dir) => {
    fs.mkdirSync(dir);
    const { c } = await catalogWithVectors(dir);
    try {
      const run = await trainConnector(c, { pairs: [['image', 'text']], preset: 'laptop', runsDir: runsFolderOf(c.file), overrides: { ...SMALL, steps: 100, evalEvery: 100 }, threads: 1 });
      expect(c.runs.get(run.runId)?.status).toBe('done');
    } finally {
      c.close();
    }
  });
  const dir = tempDir();
  fs.cpSync(template, dir, { recursive: true });
  const c = tempCatalog(dir);
  c.db.prepare("UPDATE catalog_info SET value = lower(hex(randomblob(16))) WHERE name = 'id'").run();
  return { dir, c, runId: c.runs.list()[0]!.id };
}
