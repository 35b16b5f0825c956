import fs from 'node:fs';
import path from 'node:path';
import { MODALITIES, type ImportReport, type Modality, type Progress } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { ImportError } from './errors.ts';
import { readNpyHeader, readNpyRows } from './npy.ts';
import { readUtf8Sync } from './text-io.ts';

export interface VectorImportOptions {
  /** The catalog dataset whose items the ids name. */
  dataset: string;
  /** Encoder name the vectors belong to (created when new). */
  encoder: string;
  /** Ids, one per row of the .npy: a text file with one id per line, or a JSON array. */
  ids: string;
  /** Which items the ids name; found from the ids when omitted. */
  modality?: Modality;
  /** Identifies the model that produced the vectors; defaults to "external:<encoder>". */
  encoderHash?: string;
  /** Allow a new encoderHash for an existing encoder: its old vectors become stale. */
  replace?: boolean;
  onProgress?: (p: Progress) => void;
}

const ROWS_PER_CHUNK = 4096;

/**
 * Attaches precomputed vectors (e.g. DINOv2 features extracted on a GPU box) to catalog items as
 * the vectors of a named encoder. All-or-nothing: one transaction, refused before writing when ids,
 * shape or values are wrong.
 */
export function importVectors(catalog: Catalog, npyFile: string, opts: VectorImportOptions): ImportReport {
  const started = performance.now();
  const progress = opts.onProgress ?? (() => {});
  const ids = readIds(opts.ids);
  let fd: number;
  try {
    fd = fs.openSync(npyFile, 'r');
  } catch (err) {
    throw new ImportError(`cannot read ${npyFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  try {
    const header = readNpyHeader(npyFile, fd);
    if (ids.length !== header.rows) {
      throw new ImportError(`${opts.ids} lists ${ids.length} ids but ${npyFile} has ${header.rows} rows`);
    }
    const dataset = catalog.datasets.get(opts.dataset);
    if (!dataset) throw new ImportError(`no dataset named "${opts.dataset}" in the catalog (import its captions first)`);
    const { modality, itemIds } = resolveIds(catalog, dataset.id, ids, opts);

    const hash = opts.encoderHash ?? `external:${opts.encoder}`;
    const existing = catalog.encoders.get(opts.encoder);
    if (existing) {
      if (existing.modality !== modality) {
        throw new ImportError(`encoder "${opts.encoder}" encodes ${existing.modality}, but these ids name ${modality} items`);
      }
      if (existing.file_hash !== hash && !opts.replace) {
        throw new ImportError(
          `encoder "${opts.encoder}" already holds vectors of another model (hash ${existing.file_hash}); use a new encoder name, or --replace to make its old vectors stale`,
        );
      }
      if (existing.dim !== header.cols && existing.file_hash === hash) {
        throw new ImportError(`encoder "${opts.encoder}" has dim ${existing.dim}, but ${npyFile} has ${header.cols} columns`);
      }
    }

    const report: ImportReport = {
      dataset: opts.dataset,
      format: 'npy',
      source: path.resolve(npyFile),
      root: dataset.root,
      items: {},
      pairs: { added: 0, updated: 0, unchanged: 0 },
      missing: { count: 0, examples: [] },
      vectors: { encoder: opts.encoder, count: header.rows, dim: header.cols, added: 0, replaced: 0, unchanged: 0 },
      warnings: [],
      seconds: 0,
    };
    const chunk = new Float32Array(ROWS_PER_CHUNK * header.cols);
    const rowBytes = header.cols * 4;
    catalog.bulkWrite(() => {
      const now = Date.now();
      const meta = JSON.stringify({ dtype: header.dtype });
      let encoderId: number;
      if (!existing) {
        encoderId = catalog.encoders.insert(
          { name: opts.encoder, modality, dim: header.cols, fileHash: hash, source: path.resolve(npyFile), meta },
          now,
        );
      } else {
        encoderId = existing.id;
        if (existing.file_hash !== hash || existing.dim !== header.cols) {
          report.warnings.push(
            `encoder "${opts.encoder}" now points at model ${hash}; ${catalog.replaceEncoderModel(encoderId, { dim: header.cols, fileHash: hash, source: path.resolve(npyFile), meta })} vector(s) of the previous model were deleted`,
          );
        }
      }
      const before = catalog.embeddings.count(encoderId);
      let written = 0;
      const bytes = Buffer.from(chunk.buffer);
      for (let start = 0; start < header.rows; start += ROWS_PER_CHUNK) {
        const count = Math.min(ROWS_PER_CHUNK, header.rows - start);
        readNpyRows(npyFile, fd, header, start, count, chunk);
        for (let r = 0; r < count; r++) {
          written += catalog.embeddings.put(encoderId, itemIds[start + r]!, hash, bytes.subarray(r * rowBytes, (r + 1) * rowBytes), now);
        }
        progress({ phase: 'write vectors', done: start + count, total: header.rows });
      }
      const after = catalog.embeddings.count(encoderId);
      const added = after - before;
      report.vectors!.added = added;
      report.vectors!.replaced = written - added;
      report.vectors!.unchanged = header.rows - written;
      report.seconds = (performance.now() - started) / 1000;
      catalog.imports.record(dataset.id, 'npy', report.source, report, now);
    });
    report.seconds = (performance.now() - started) / 1000;
    return report;
  } finally {
    fs.closeSync(fd);
  }
}

function readIds(file: string): string[] {
  const text = readUtf8Sync(file).replace(/^\uFEFF/, '');
  let ids: string[];
  if (/^\s*\[/.test(text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ImportError(`${file}: malformed JSON id list (${(err as Error).message})`, { cause: err });
    }
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string' || typeof v === 'number')) {
      throw new ImportError(`${file}: a JSON id list must be an array of strings or numbers`);
    }
    ids = parsed.map(String);
  } else {
    ids = text.split(/\r?\n/);
    while (ids.length > 0 && ids[ids.length - 1]!.trim() === '') ids.pop();
    ids = ids.map((s) => s.trim());
    const blank = ids.indexOf('');
    if (blank !== -1) throw new ImportError(`${file}:${blank + 1}: empty id`);
  }
  const seen = new Set<string>();
  for (const [i, id] of ids.entries()) {
    if (seen.has(id)) throw new ImportError(`${file}: duplicate id "${id}" (entry ${i + 1})`);
    seen.add(id);
  }
  return ids;
}

/** Maps ids (item keys: the relative path of media, the caption id of text) to item ids of one modality. */
function resolveIds(catalog: Catalog, datasetId: number, ids: string[], opts: VectorImportOptions): { modality: Modality; itemIds: number[] } {
  // Without --modality, the first id that names an item decides (keys of different modalities rarely collide).
  const modality =
    opts.modality ?? MODALITIES.find((m) => ids.some((id, i) => i < 1000 && catalog.items.get(datasetId, m, id) !== undefined)) ?? 'image';
  const map = catalog.items.idsByKey(datasetId, modality);
  const unknown = ids.filter((id) => !map.has(id));
  if (unknown.length > 0) {
    throw new ImportError(
      `${unknown.length} of ${ids.length} ids are not ${modality} items of dataset "${opts.dataset}", e.g. ${unknown.slice(0, 5).join(', ')}`,
    );
  }
  return { modality, itemIds: ids.map((id) => map.get(id)!) };
}
