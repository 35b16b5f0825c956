import type { ImportFormat } from '../../../../src-shared/types.ts';
import { ImportError } from '../errors.ts';
import { readJson } from '../text-io.ts';
import { ImportPlan, normaliseSplit } from '../plan.ts';
import { arrayField, firstExistingDir, isObject, stringField, type FormatReader } from './common.ts';

/**
 * Karpathy's split files (dataset_coco.json, dataset_flickr30k.json): images[] with filepath (COCO
 * only), filename, split (train / restval / val / test) and sentences[] {raw, sentid}.
 */
function karpathyReader(format: ImportFormat, label: string, rootCandidates: string[]): FormatReader {
  return {
    format,
    description: `Karpathy split JSON for ${label} (images[].filename/split/sentences[].raw)`,
    input: 'file',
    defaultRoot: (source) => firstExistingDir(source, rootCandidates),
    async parse(source, opts) {
      const doc = readJson(source);
      opts.onProgress?.({ phase: 'read', done: 1, total: 1 });
      if (!isObject(doc)) throw new ImportError(`${source}: not a Karpathy split file (expected a JSON object)`);
      if ('annotations' in doc) {
        throw new ImportError(`${source}: not a Karpathy split file (this looks like a COCO captions file: use format coco)`);
      }
      const images = arrayField(doc, 'images', source);
      const plan = new ImportPlan(format, source, opts.root);
      images.forEach((img, i) => {
        const where = `${source}: images[${i}]`;
        if (!isObject(img)) throw new ImportError(`${where}: not an object`);
        const filename = stringField(img, 'filename', where);
        const rel = typeof img.filepath === 'string' && img.filepath !== '' ? `${img.filepath}/${filename}` : filename;
        const split = opts.split !== undefined ? opts.split : normaliseSplit(img.split, where);
        const meta: Record<string, unknown> = { karpathy_split: img.split ?? null };
        if (img.cocoid !== undefined) meta.coco_id = img.cocoid;
        const media = plan.uniqueMedia('image', rel, where, meta);
        const sentences = arrayField(img, 'sentences', where);
        if (sentences.length === 0) plan.warn(`${where}: image without captions`);
        sentences.forEach((s, k) => {
          const sw = `${where}.sentences[${k}]`;
          if (!isObject(s)) throw new ImportError(`${sw}: not an object`);
          const key = s.sentid !== undefined ? `sent:${String(s.sentid)}` : `${rel}#${k}`;
          plan.pair(media, plan.text(key, s.raw, sw), split);
        });
      });
      return plan;
    },
  };
}

export const cocoKarpathyReader = karpathyReader('coco-karpathy', 'COCO (dataset_coco.json)', []);
export const flickrKarpathyReader = karpathyReader('flickr-karpathy', 'Flickr30k (dataset_flickr30k.json)', [
  'flickr30k-images',
  'flickr30k_images',
  'images',
]);
