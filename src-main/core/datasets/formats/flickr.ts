import { ImportError } from '../errors.ts';
import { readCsv, readLines } from '../text-io.ts';
import { ImportPlan } from '../plan.ts';
import { firstExistingDir, parseProgress, type FormatReader } from './common.ts';

const FLICKR_IMAGE_DIRS = ['flickr30k-images', 'flickr30k_images', 'images'];

/** Flickr30k's results_20130124.token: "1000092795.jpg#0<TAB>Two young guys ..." per line. */
export const flickrTokenReader: FormatReader = {
  format: 'flickr-token',
  description: 'Flickr30k results_20130124.token (name.jpg#k<TAB>caption)',
  input: 'file',
  defaultRoot: (source) => firstExistingDir(source, FLICKR_IMAGE_DIRS),
  async parse(source, opts) {
    const plan = new ImportPlan('flickr-token', source, opts.root);
    const split = opts.split ?? null;
    for await (const { line, no } of readLines(source, parseProgress(opts))) {
      if (line.trim() === '') continue;
      const where = `${source}:${no}`;
      const tab = line.indexOf('\t');
      const hash = tab === -1 ? -1 : line.lastIndexOf('#', tab);
      if (tab === -1 || hash === -1) {
        throw new ImportError(`${where}: expected "image.jpg#k<TAB>caption" (is this the right format?)`);
      }
      const image = line.slice(0, hash);
      const k = line.slice(hash + 1, tab);
      if (!/^\d+$/.test(k)) throw new ImportError(`${where}: caption number "${k}" is not a number`);
      const media = plan.mediaItem('image', image, where);
      plan.pair(media, plan.text(`${media}#${k}`, line.slice(tab + 1), where), split);
    }
    return plan;
  },
};

/** The pipe-separated results.csv of the Kaggle Flickr30k release: "image_name| comment_number| comment". */
export const flickrCsvReader: FormatReader = {
  format: 'flickr-csv',
  description: 'Flickr30k results.csv (image_name| comment_number| comment)',
  input: 'file',
  defaultRoot: (source) => firstExistingDir(source, FLICKR_IMAGE_DIRS),
  async parse(source, opts) {
    const plan = new ImportPlan('flickr-csv', source, opts.root);
    const split = opts.split ?? null;
    let header = true;
    // Quotes are ordinary characters in these captions; the column count varies only on known bad rows.
    const rows = readCsv<string[]>(source, { delimiter: '|', quote: false, trim: true, relax_column_count: true }, parseProgress(opts));
    for await (const { record, line } of rows) {
      const where = `${source}:${line}`;
      if (header) {
        header = false;
        if (record[0] !== 'image_name' || record.length !== 3) {
          throw new ImportError(`${where}: expected the header "image_name| comment_number| comment" (is this the right format?)`);
        }
        continue;
      }
      const image = record[0];
      let [, k, caption] = record;
      if (record.length === 2) {
        // The public file has a row whose second separator is missing ("x.jpg| 4   A dog ..."): recover it.
        const m = /^(\d+)\s+(.+)$/.exec(record[1] ?? '');
        if (!m) throw new ImportError(`${where}: expected 3 columns, found 2`);
        [k, caption] = [m[1], m[2]];
        plan.warn(`${where}: repaired a row with a missing "|" separator`);
      } else if (record.length !== 3) {
        throw new ImportError(`${where}: expected 3 columns, found ${record.length}`);
      }
      if (!/^\d+$/.test(k ?? '')) throw new ImportError(`${where}: comment_number "${k}" is not a number`);
      const media = plan.mediaItem('image', image ?? '', where);
      plan.pair(media, plan.text(`${media}#${k}`, caption, where), split);
    }
    if (header) throw new ImportError(`${source}: empty file`);
    return plan;
  },
};
