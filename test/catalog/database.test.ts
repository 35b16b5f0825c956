import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { migrate } from '../../src-main/core/catalog/database.ts';
import { CatalogError } from '../../src-main/core/catalog/errors.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src-main/core/catalog/migrations.ts';
import { dump, tempCatalog, tempDir } from '../helpers.ts';

describe('catalog database', () => {
  it('creates the schema with WAL, foreign keys, STRICT tables and the latest user_version', () => {
    const c = tempCatalog();
    expect(c.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(c.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(c.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    const tables = c.db
      .prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all() as { name: string; strict: number }[];
    expect(tables.map((t) => t.name)).toEqual(['catalog_info', 'checkpoints', 'counters', 'datasets', 'duplicate_marks', 'embeddings', 'encoders', 'imports', 'items', 'jobs', 'layouts', 'metrics', 'pairs', 'runs']);
    expect(tables.every((t) => t.strict === 1)).toBe(true);
  });

  it('enforces STRICT types, CHECK constraints and foreign keys', () => {
    const c = tempCatalog();
    expect(() => c.db.prepare("INSERT INTO datasets (name, format, root, created_at, updated_at) VALUES ('d', 'coco', '/r', 'soon', 0)").run()).toThrow(/cannot store TEXT value in INTEGER column/);
    c.db.prepare("INSERT INTO datasets (name, format, root, created_at, updated_at) VALUES ('d', 'coco', '/r', 0, 0)").run();
    expect(() => c.db.prepare("INSERT INTO items (dataset_id, modality, key, path) VALUES (1, 'video', 'k', 'k')").run()).toThrow(/CHECK constraint failed/);
    expect(() => c.db.prepare("INSERT INTO items (dataset_id, modality, key, path) VALUES (99, 'image', 'k', 'k')").run()).toThrow(/FOREIGN KEY constraint failed/);
    expect(() => c.db.prepare("INSERT INTO items (dataset_id, modality, key, path, text) VALUES (1, 'text', 'k', NULL, NULL)").run()).toThrow(/CHECK constraint failed/);
  });

  it('upgrades a catalog of schema 1 to the latest in one step, keeping its data', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'catalog.db');
    const raw = new Database(file);
    migrate(raw, 0, MIGRATIONS.filter((m) => m.version === 1));
    raw.prepare("INSERT INTO datasets (name, format, root, created_at, updated_at) VALUES ('old', 'coco', '/r', 0, 0)").run();
    raw.close();
    const c = Catalog.open(file);
    expect(c.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(c.datasets.get('old')).toBeDefined();
    expect(c.embeddings.generation()).toBe(0);
    c.close();
  });

  it('reopens an existing catalog without re-running migrations and keeps its data', () => {
    const dir = tempDir();
    const file = path.join(dir, 'catalog.db');
    const a = Catalog.open(file);
    a.write(() => a.datasets.upsert('kept', 'coco', '/r', 1));
    a.close();
    const b = Catalog.open(file);
    expect(b.datasets.get('kept')?.format).toBe('coco');
    b.close();
  });

  it('refuses a catalog written by a newer version and leaves the file untouched', () => {
    const dir = tempDir();
    const file = path.join(dir, 'catalog.db');
    Catalog.open(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    raw.close();
    const before = fs.readFileSync(file);
    let err: unknown;
    try {
      Catalog.open(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).code).toBe('NEWER_SCHEMA');
    expect((err as Error).message).toMatch(/newer version of AltMoE Studio \(schema \d+, this version knows up to \d+\)/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('says clearly when a file is not a catalog', () => {
    const dir = tempDir();
    const file = path.join(dir, 'notes.db');
    fs.writeFileSync(file, 'these are my notes, not a database'.repeat(100));
    expect(() => Catalog.open(file)).toThrow(/is not an AltMoE catalog/);
  });

  it('runs pending migrations in one transaction: a failing one leaves no trace', () => {
    const dir = tempDir();
    const db = new Database(path.join(dir, 'm.db'));
    const migrations = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
      { version: 2, name: 'two', sql: 'CREATE TABLE b (x INTEGER) STRICT; CREATE TABLE b (y INTEGER);' },
    ];
    expect(() => migrate(db, 0, migrations)).toThrow(/already exists/);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()).toEqual({ n: 0 });
    migrate(db, 0, migrations.slice(0, 1));
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();
  });

  it('turns writes to a read-only catalog into a clear error and changes nothing', () => {
    const dir = tempDir();
    const file = path.join(dir, 'catalog.db');
    const rw = Catalog.open(file);
    rw.write(() => rw.datasets.upsert('d', 'coco', '/r', 1));
    const before = dump(rw);
    rw.close();
    const ro = Catalog.open(file, { readonly: true });
    expect(ro.readonly).toBe(true);
    let err: unknown;
    try {
      ro.write(() => ro.datasets.upsert('e', 'coco', '/r', 2));
    } catch (e) {
      err = e;
    }
    expect((err as CatalogError).code).toBe('READ_ONLY');
    expect((err as Error).message).toMatch(/read-only/);
    expect(dump(ro)).toBe(before);
    ro.close();
  });

  it('opens a file without write permission read-only (when permissions apply to this user)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'catalog.db');
    Catalog.open(file).close();
    fs.chmodSync(file, 0o444);
    let writable = true;
    try {
      fs.accessSync(file, fs.constants.W_OK);
    } catch {
      writable = false;
    }
    const c = Catalog.open(file);
    // root ignores file modes: then the catalog is writable and must say so.
    expect(c.readonly).toBe(!writable);
    c.close();
  });

  it('refuses to create a catalog when told not to', () => {
    const dir = tempDir();
    expect(() => Catalog.open(path.join(dir, 'none.db'), { create: false })).toThrow(/no catalog at .* \(run "altmoe init" first\)/);
  });
});
