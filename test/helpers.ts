import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';

const made: string[] = [];
const opened: Catalog[] = [];

/** Closes the catalogs and removes the folders made by the test that just ended (test/setup.ts runs it after each test). */
export function cleanUpAfterTest(): void {
  for (const c of opened.splice(0)) c.close();
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-test-'));
  made.push(dir);
  return dir;
}

/** A real catalog file in a temporary folder, with the real migrations. */
export function tempCatalog(dir = tempDir()): Catalog {
  const c = Catalog.open(path.join(dir, 'catalog.db'));
  opened.push(c);
  return c;
}

/** Writes files under dir: { 'a/b.txt': 'content' }; Buffers are written as bytes. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

const TABLES = ['datasets', 'imports', 'items', 'pairs', 'encoders', 'embeddings', 'runs', 'checkpoints', 'metrics', 'jobs', 'counters', 'catalog_info', 'layouts', 'duplicate_marks'];

/** Every row of every table, in a stable order: equal dumps mean an unchanged catalog. */
export function dump(c: Catalog): string {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) {
    out[t] = c.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all().map((row) =>
      Object.fromEntries(Object.entries(row as Record<string, unknown>).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v])),
    );
  }
  return JSON.stringify(out);
}

/** Writes a .npy file (C order) for tests; any dtype string, so bad files can be made too. */
export { writeNpy } from '../src-main/core/datasets/npy.ts';

/** Runs the CLI in-process on a catalog file, capturing what it prints and its exit code. */
export async function cliOn(file: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { runCli } = await import('../src-main/core/cli/main.ts');
  let out = '';
  let err = '';
  const io = { out: (t: string) => (out += `${t}\n`), err: { write: (t: string) => ((err += t), true) } as unknown as NodeJS.WriteStream };
  const code = await runCli([...args, '--catalog', file], io);
  return { code, out, err };
}

/** Waits until `cond` holds, polling every 20 ms; throws after `ms`. */
export async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
