import path from 'node:path';
import { ImportError } from '../errors.ts';
import { modalityOfPath } from '../paths.ts';
import { ImportPlan, normaliseSplit, type MediaModality } from '../plan.ts';
import { readCsv, readLines } from '../text-io.ts';
import { isObject, parseProgress, requireColumns, type FormatReader, type ParseOptions } from './common.ts';

interface ManifestRow {
  path?: unknown;
  caption?: unknown;
  captions?: unknown;
  split?: unknown;
  modality?: unknown;
  id?: unknown;
}

/**
 * A manifest listing media with captions: JSON Lines ({"path", "caption" | "captions", "split"?,
 * "modality"?, "id"?} per line) or CSV with a header (path,caption[,split][,modality][,id]).
 * Several rows may name the same path to give it several captions.
 */
export const manifestReader: FormatReader = {
  format: 'manifest',
  description: 'JSONL or CSV manifest (path, caption(s), split?, modality?, id?)',
  input: 'file',
  defaultRoot: (source) => path.resolve(path.dirname(source)),
  async parse(source, opts) {
    const plan = new ImportPlan('manifest', source, opts.root);
    const state: RowState = { seen: new Set(), captionsPerMedia: new Map() };
    const add = (row: ManifestRow, where: string): void => addRow(plan, state, row, where, opts);
    if (/\.jsonl$|\.ndjson$/i.test(source)) {
      for await (const { line, no } of readLines(source, parseProgress(opts))) {
        if (line.trim() === '') continue;
        let row: unknown;
        try {
          row = JSON.parse(line);
        } catch (err) {
          throw new ImportError(`${source}:${no}: malformed JSON line (${(err as Error).message})`, { cause: err });
        }
        if (!isObject(row)) throw new ImportError(`${source}:${no}: expected a JSON object`);
        add(row, `${source}:${no}`);
      }
    } else if (/\.csv$/i.test(source)) {
      let columns: string[] = [];
      const rows = readCsv<ManifestRow>(source, { columns: (h: string[]) => (columns = h.map((c) => c.trim())) }, parseProgress(opts));
      for await (const { record, line } of rows) {
        requireColumns(columns, ['path'], source);
        add(record, `${source}:${line}`);
      }
    } else {
      throw new ImportError(`${source}: a manifest must be a .jsonl or .csv file`);
    }
    return plan;
  },
};

interface RowState {
  /** media + caption already added, to drop exact repeats */
  seen: Set<string>;
  /** captions so far per media path, to number keys "path#n" */
  captionsPerMedia: Map<string, number>;
}

function addRow(plan: ImportPlan, state: RowState, row: ManifestRow, where: string, opts: ParseOptions): void {
  if (typeof row.path !== 'string') throw new ImportError(`${where}: missing "path"`);
  let modality: MediaModality | null = modalityOfPath(row.path);
  if (row.modality !== undefined && row.modality !== '') {
    if (row.modality !== 'image' && row.modality !== 'audio') {
      throw new ImportError(`${where}: modality must be "image" or "audio", not "${String(row.modality)}"`);
    }
    modality = row.modality;
  }
  if (!modality) throw new ImportError(`${where}: cannot tell the modality of "${row.path}" (add a "modality" field)`);
  const split = opts.split !== undefined ? opts.split : normaliseSplit(row.split, where);
  const media = plan.mediaItem(modality, row.path, where);
  const captions: unknown[] =
    row.captions !== undefined ? (Array.isArray(row.captions) ? row.captions : [row.captions]) : row.caption !== undefined && row.caption !== '' ? [row.caption] : [];
  if (row.id !== undefined && row.id !== '' && captions.length > 1) {
    throw new ImportError(`${where}: "id" names one caption, but the row has ${captions.length}`);
  }
  for (const caption of captions) {
    if (typeof caption !== 'string') throw new ImportError(`${where}: caption is not a string`);
    const dedupe = `${media}\0${caption.trim()}`;
    if (state.seen.has(dedupe)) {
      plan.warn(`${where}: the same caption is listed twice for ${media}; kept once`);
      continue;
    }
    state.seen.add(dedupe);
    const n = state.captionsPerMedia.get(media) ?? 0;
    state.captionsPerMedia.set(media, n + 1);
    const key = row.id !== undefined && row.id !== '' ? `id:${String(row.id)}` : `${media}#${n}`;
    plan.pair(media, plan.text(key, caption, where), split);
  }
}

