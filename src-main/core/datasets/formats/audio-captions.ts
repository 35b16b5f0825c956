import fs from 'node:fs';
import { ImportError } from '../errors.ts';
import { readCsv } from '../text-io.ts';
import { ImportPlan, splitFromFileName } from '../plan.ts';
import { firstExistingDir, parseProgress, requireColumns, type FormatReader } from './common.ts';

/** Clotho v2: clotho_captions_{development,validation,evaluation}.csv with file_name,caption_1..caption_5. */
export const clothoReader: FormatReader = {
  format: 'clotho',
  description: 'Clotho v2 captions CSV (file_name,caption_1..caption_5)',
  input: 'file',
  defaultRoot(source) {
    const m = /captions_([a-z]+)\.csv$/i.exec(source);
    return firstExistingDir(source, m ? [m[1]!, `clotho_audio_${m[1]}`, `audio/${m[1]}`] : []);
  },
  async parse(source, opts) {
    const plan = new ImportPlan('clotho', source, opts.root);
    const split = opts.split !== undefined ? opts.split : splitFromFileName(source);
    if (split === null && opts.split === undefined) plan.warn(noSplitWarning(source));
    let columns: string[] | null = null;
    const rows = readCsv<Record<string, string>>(
      source,
      { columns: (h: string[]) => (columns = h.map((c) => c.trim())) },
      parseProgress(opts),
    );
    for await (const { record, line } of rows) {
      const where = `${source}:${line}`;
      requireColumns(columns!, ['file_name', 'caption_1'], source);
      const media = plan.uniqueMedia('audio', record.file_name ?? '', where);
      for (const col of columns!.filter((c) => /^caption_\d+$/.test(c))) {
        plan.pair(media, plan.text(`${media}#${col.slice(8)}`, record[col], `${where} (${col})`), split);
      }
    }
    return plan;
  },
};

/** The file name says no split (development/validation/evaluation, train/val/test): say so. */
const noSplitWarning = (source: string): string =>
  `the file name "${source.replace(/^.*[\\/]/, '')}" names no split (train/development, val/validation, test/evaluation): every pair is unassigned; give --split, or keep the original file names`;

const AUDIO_EXTS = ['.wav', '.flac', '.mp3', '.ogg', '.m4a'];

/** AudioCaps: {train,val,test}.csv with audiocap_id,youtube_id,start_time,caption (several rows per clip). */
export const audiocapsReader: FormatReader = {
  format: 'audiocaps',
  description: 'AudioCaps CSV (audiocap_id,youtube_id,start_time,caption)',
  input: 'file',
  defaultRoot: (source) => firstExistingDir(source, ['audio', 'audios', 'wav']),
  async parse(source, opts) {
    const plan = new ImportPlan('audiocaps', source, opts.root);
    const split = opts.split !== undefined ? opts.split : splitFromFileName(source);
    if (split === null && opts.split === undefined) plan.warn(noSplitWarning(source));
    // Downloaders name clips differently; look at what is actually in the root once.
    const present = listFiles(opts.root);
    let columns: string[] | null = null;
    const rows = readCsv<Record<string, string>>(
      source,
      { columns: (h: string[]) => (columns = h.map((c) => c.trim())) },
      parseProgress(opts),
    );
    for await (const { record, line } of rows) {
      const where = `${source}:${line}`;
      requireColumns(columns!, ['audiocap_id', 'youtube_id', 'start_time', 'caption'], source);
      const ytid = (record.youtube_id ?? '').trim();
      const start = (record.start_time ?? '').trim();
      if (ytid === '' || !/^\d+(\.\d+)?$/.test(start)) throw new ImportError(`${where}: invalid youtube_id or start_time`);
      const id = (record.audiocap_id ?? '').trim();
      if (!/^\d+$/.test(id)) throw new ImportError(`${where}: audiocap_id "${id}" is not a number`);
      const file = findClip(present, id, ytid, start);
      const media = plan.mediaItem('audio', file, where, { youtube_id: ytid, start_time: Number(start) });
      plan.pair(media, plan.text(`audiocap:${id}`, record.caption, where), split);
    }
    return plan;
  },
};

function listFiles(dir: string): Set<string> {
  try {
    return new Set(fs.readdirSync(dir));
  } catch {
    return new Set();
  }
}

/** The clip's file name under the root, trying the common download namings; defaults to "<ytid>_<start>.wav". */
function findClip(present: Set<string>, id: string, ytid: string, start: string): string {
  const s = Number(start);
  const stems = [`${ytid}_${start}`, `${ytid}_${s}`, `Y${ytid}_${s.toFixed(3)}_${(s + 10).toFixed(3)}`, `Y${ytid}`, ytid, id];
  for (const stem of stems) {
    for (const ext of AUDIO_EXTS) if (present.has(stem + ext)) return stem + ext;
  }
  return `${ytid}_${start}.wav`;
}
