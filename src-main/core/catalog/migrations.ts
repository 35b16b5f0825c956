/**
 * Numbered schema migrations. Never edit a migration that has shipped: add the next one.
 * `user_version` holds the number of the last one applied; all pending ones run in one transaction.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MODALITY_CHECK = "CHECK (modality IN ('image', 'text', 'audio'))";
const JSON_CHECK = (col: string): string => `CHECK (json_valid(${col}))`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'catalog',
    sql: `
      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
        format TEXT NOT NULL,
        root TEXT NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}' ${JSON_CHECK('meta')},
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      -- One row per successful import: what was read, and what it changed.
      CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        format TEXT NOT NULL,
        source TEXT NOT NULL,
        report TEXT NOT NULL ${JSON_CHECK('report')},
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX imports_dataset ON imports(dataset_id);

      -- Media items carry a path relative to their dataset's root; text items carry their text.
      -- key identifies an item inside its dataset and modality (the relative path for media,
      -- the source's caption id for text), which is what makes re-imports idempotent.
      CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        modality TEXT NOT NULL ${MODALITY_CHECK},
        key TEXT NOT NULL,
        path TEXT,
        text TEXT,
        content_hash TEXT,
        meta TEXT NOT NULL DEFAULT '{}' ${JSON_CHECK('meta')},
        CHECK ((modality = 'text') = (text IS NOT NULL)),
        CHECK ((modality = 'text') = (path IS NULL)),
        UNIQUE (dataset_id, modality, key)
      ) STRICT;

      -- a is the media side (image, audio), b the caption; split NULL means unassigned.
      -- WITHOUT ROWID: the pair is its own key, so one b-tree instead of a table plus an index.
      CREATE TABLE pairs (
        a_item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        b_item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        split TEXT CHECK (split IN ('train', 'val', 'test')),
        PRIMARY KEY (a_item_id, b_item_id)
      ) STRICT, WITHOUT ROWID;
      -- No (dataset_id, split) index: pairs are small rows, a scan is cheap, and every index costs imports.
      CREATE INDEX pairs_b ON pairs(b_item_id);

      -- file_hash identifies the exact model; vectors carry it so a changed model never mixes with stale ones.
      CREATE TABLE encoders (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
        modality TEXT NOT NULL ${MODALITY_CHECK},
        dim INTEGER NOT NULL CHECK (dim > 0),
        file_hash TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        meta TEXT NOT NULL DEFAULT '{}' ${JSON_CHECK('meta')},
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE embeddings (
        encoder_id INTEGER NOT NULL REFERENCES encoders(id) ON DELETE CASCADE,
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        encoder_hash TEXT NOT NULL,
        dim INTEGER NOT NULL CHECK (dim > 0),
        vector BLOB NOT NULL CHECK (length(vector) = 4 * dim),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (encoder_id, item_id)
      ) STRICT;
      CREATE INDEX embeddings_item ON embeddings(item_id);

      -- Training runs of the connector, their checkpoints and metrics.
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('created', 'running', 'paused', 'done', 'failed', 'cancelled')),
        config TEXT NOT NULL ${JSON_CHECK('config')},
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL CHECK (step >= 0),
        hash TEXT NOT NULL,
        data BLOB,
        path TEXT,
        state TEXT NOT NULL DEFAULT '{}' ${JSON_CHECK('state')},
        created_at INTEGER NOT NULL,
        CHECK (data IS NOT NULL OR path IS NOT NULL),
        UNIQUE (run_id, step)
      ) STRICT;

      CREATE TABLE metrics (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        split TEXT NOT NULL,
        name TEXT NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (run_id, step, split, name)
      ) STRICT;

      -- Long jobs (import, embed, train, evaluate) so they can be listed, cancelled and resumed.
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        params TEXT NOT NULL DEFAULT '{}' ${JSON_CHECK('params')},
        progress TEXT NOT NULL DEFAULT '{}' ${JSON_CHECK('progress')},
        result TEXT ${JSON_CHECK('result')},
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX jobs_status ON jobs(status);
    `,
  },
  {
    version: 2,
    name: 'change counters',
    sql: `
      -- Monotonic counters bumped by triggers, so in-memory indexes can tell cheaply that the rows
      -- they were built from changed (whoever wrote them: this process, another one, the CLI).
      CREATE TABLE counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      INSERT INTO counters (name, value) VALUES ('embeddings', 0);
      CREATE TRIGGER embeddings_insert AFTER INSERT ON embeddings BEGIN
        UPDATE counters SET value = value + 1 WHERE name = 'embeddings';
      END;
      CREATE TRIGGER embeddings_update AFTER UPDATE ON embeddings BEGIN
        UPDATE counters SET value = value + 1 WHERE name = 'embeddings';
      END;
      CREATE TRIGGER embeddings_delete AFTER DELETE ON embeddings BEGIN
        UPDATE counters SET value = value + 1 WHERE name = 'embeddings';
      END;
    `,
  },
  {
    version: 3,
    name: 'interrupted jobs and runs; json checks older SQLite accepts',
    sql: `
      -- json_valid(NULL) is NULL before SQLite 3.45 but 0 since, and a CHECK fails only on 0: written
      -- NULL-safe, the same rows pass under every version (Debian's sqlite3 reported the catalog
      -- corrupt). 'interrupted': left running by a crash, found at start-up. The tables are rebuilt
      -- (a CHECK cannot be altered) with foreign keys off; migrate() checks them before committing.
      CREATE TABLE jobs_new (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
        params TEXT NOT NULL DEFAULT '{}' ${JSON_CHECK('params')},
        progress TEXT NOT NULL DEFAULT '{}' ${JSON_CHECK('progress')},
        result TEXT CHECK (result IS NULL OR json_valid(result)),
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        title TEXT NOT NULL DEFAULT ''
      ) STRICT;
      INSERT INTO jobs_new (id, kind, status, params, progress, result, error, created_at, updated_at)
        SELECT id, kind, CASE status WHEN 'running' THEN 'interrupted' ELSE status END, params, progress, result, error, created_at, updated_at FROM jobs;
      DROP TABLE jobs;
      ALTER TABLE jobs_new RENAME TO jobs;
      CREATE INDEX jobs_status ON jobs(status);

      CREATE TABLE runs_new (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('created', 'running', 'paused', 'done', 'failed', 'cancelled', 'interrupted')),
        config TEXT NOT NULL ${JSON_CHECK('config')},
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      INSERT INTO runs_new SELECT * FROM runs;
      DROP TABLE runs;
      ALTER TABLE runs_new RENAME TO runs;
    `,
  },
  {
    version: 4,
    name: 'catalog identity',
    sql: `
      -- Facts about the catalog itself. Its id names its items in a shared vector store (item ids
      -- are only unique within one catalog); a copied catalog keeps it, as it holds the same items.
      CREATE TABLE catalog_info (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
      INSERT INTO catalog_info (name, value) VALUES ('id', lower(hex(randomblob(16))));
    `,
  },
  {
    version: 5,
    name: 'embedding maps and duplicate marks',
    sql: `
      -- A 2-D layout per source ('encoder:<name>' or 'run:<id>'), valid while its stamp (model hash,
      -- the vectors' change counter, what a run serves) still matches; xy holds (item id int32,
      -- x float32, y float32) rows. Recomputed rather than migrated, so one row per source.
      CREATE TABLE layouts (
        source TEXT PRIMARY KEY,
        stamp TEXT NOT NULL,
        params TEXT NOT NULL ${JSON_CHECK('params')},
        points INTEGER NOT NULL CHECK (points >= 0),
        xy BLOB NOT NULL CHECK (length(xy) = 12 * points),
        seconds REAL NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      -- "Not a duplicate": the user's word that two items differ, whatever their similarity.
      -- Stored once per pair (a < b); gone with either item.
      CREATE TABLE duplicate_marks (
        a_item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        b_item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        CHECK (a_item_id < b_item_id),
        PRIMARY KEY (a_item_id, b_item_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX duplicate_marks_b ON duplicate_marks(b_item_id);
    `,
  },
  {
    version: 6,
    name: 'keyword search',
    sql: `
      -- The words of every item for keyword search (FTS5, BM25 ranking): a caption's text, a media
      -- file's path with its separators as spaces ('cars/red_car-01.png' -> 'cars red car 01 png').
      -- rowid = item id. Updates and deletes are followed by triggers; new items are indexed in one
      -- statement at the end of the import that wrote them (ItemsRepo.indexNewWords): a per-row
      -- insert trigger made a COCO-sized import 2.4x slower.
      CREATE VIRTUAL TABLE items_fts USING fts5(words, tokenize = 'unicode61 remove_diacritics 2');
      INSERT INTO items_fts (rowid, words)
        SELECT id, CASE modality WHEN 'text' THEN text ELSE replace(replace(replace(replace(key, '/', ' '), '_', ' '), '-', ' '), '.', ' ') END FROM items;
      CREATE TRIGGER items_fts_update AFTER UPDATE OF text, key ON items BEGIN
        UPDATE items_fts SET words = CASE new.modality WHEN 'text' THEN new.text ELSE replace(replace(replace(replace(new.key, '/', ' '), '_', ' '), '-', ' '), '.', ' ') END WHERE rowid = new.id;
      END;
      CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        DELETE FROM items_fts WHERE rowid = old.id;
      END;
    `,
  },
  {
    version: 7,
    name: 'versioned run configs',
    sql: `
      -- Run configs get a format version (2) and every field, so one reader serves every run: fields
      -- added after a run was made take the values the engine assumed when they were absent.
      UPDATE runs SET config = json_insert(config,
          '$.version', 2,
          '$.datasets', json('null'),
          '$.trainPairs', json('null'),
          '$.auto', json('null'),
          '$.duplicates', 'warn',
          '$.served', json('null'))
        WHERE json_valid(config) AND json_extract(config, '$.version') IS NULL AND json_extract(config, '$.model') IS NOT NULL;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
