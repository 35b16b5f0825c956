// Run configs of the release before versioned configs (written by its own trainConnector: see the
// fixture's "written_by"), upgraded by migration 7 and read by the one reader every path uses.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { migrate } from '../../src-main/core/catalog/database.ts';
import { MIGRATIONS } from '../../src-main/core/catalog/migrations.ts';
import { decodeRunConfig, RUN_CONFIG_VERSION, runConfig } from '../../src-main/core/runs/config.ts';
import { tempDir } from '../helpers.ts';
import RELEASE from './fixtures/runs-0.1.0.json' with { type: 'json' };

/** A schema-6 catalog (the release's) holding the release's runs, and one older run without the later fields. */
function releaseCatalog(): string {
  const file = path.join(tempDir(), 'catalog.db');
  const raw = new Database(file);
  migrate(raw, 0, MIGRATIONS.filter((m) => m.version <= 6));
  const insert = raw.prepare('INSERT INTO runs (id, name, status, config, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)');
  for (const r of RELEASE.runs) insert.run(r.id, `run ${r.id}`, r.status, JSON.stringify(r.config));
  const { trainPairs: _t, duplicates: _d, ...older } = RELEASE.runs[0]!.config;
  insert.run(3, 'older', 'done', JSON.stringify({ ...older, dir: 'run-3' }));
  raw.close();
  return file;
}

describe('versioned run configs', () => {
  it('migration 7 gives every run of the release its version and every field, changing nothing it had', () => {
    const c = Catalog.open(releaseCatalog());
    try {
      const [laptop, auto, older] = [runConfig(c, 1), runConfig(c, 2), runConfig(c, 3)];
      const stored = (id: number) => JSON.parse(c.runs.get(id)!.config) as Record<string, unknown>;
      for (const [id, before] of RELEASE.runs.map((r) => [r.id, r.config] as const)) expect(stored(id)).toMatchObject(before);
      expect(laptop).toMatchObject({ version: RUN_CONFIG_VERSION, preset: 'laptop', auto: null, served: null, trainPairs: null, duplicates: 'warn', dir: path.join(`${c.file}.runs`, 'run-1') });
      expect(auto).toMatchObject({ version: RUN_CONFIG_VERSION, preset: 'auto', auto: RELEASE.runs[1]!.config.auto, served: RELEASE.runs[1]!.config.served });
      // A run from before trainPairs and duplicates existed: what the engine assumed when they were absent.
      expect(older).toMatchObject({ version: RUN_CONFIG_VERSION, trainPairs: null, duplicates: 'warn', model: RELEASE.runs[0]!.config.model });
      // The model's own config is left byte for byte (a checkpoint is tied to it).
      expect(JSON.stringify(laptop.model)).toBe(JSON.stringify(RELEASE.runs[0]!.config.model));
      expect(c.runs.list().map((r) => r.status)).toEqual(['done', 'done', 'done']);
    } finally {
      c.close();
    }
  });

  it('a run config of a newer format is refused with one line, not guessed at', () => {
    const newer = JSON.stringify({ ...RELEASE.runs[0]!.config, version: RUN_CONFIG_VERSION + 1 });
    expect(() => decodeRunConfig(newer)).toThrow(/written by a newer AltMoE Studio/);
  });
});
