import { ImportError } from '../errors.ts';
import { readJson } from '../text-io.ts';
import { ImportPlan, splitFromFileName } from '../plan.ts';
import { arrayField, firstExistingDir, idField, isObject, stringField, type FormatReader } from './common.ts';

/** COCO captions: captions_train2017.json with images[] {id, file_name} and annotations[] {id, image_id, caption}. */
export const cocoReader: FormatReader = {
  format: 'coco',
  description: 'COCO captions JSON (captions_train2017.json: images[] + annotations[])',
  input: 'file',
  defaultRoot(source) {
    // annotations/captions_val2017.json -> ../val2017 when it is there.
    const m = /captions_([a-z]+\d{4})\.json$/i.exec(source);
    return firstExistingDir(source, m ? [`../${m[1]}`, m[1]!] : []);
  },
  async parse(source, opts) {
    const doc = readJson(source);
    opts.onProgress?.({ phase: 'read', done: 1, total: 1 });
    if (!isObject(doc)) throw new ImportError(`${source}: not a COCO captions file (expected a JSON object)`);
    const hint = Array.isArray(doc.images) && !('annotations' in doc)
      ? ' (this looks like a Karpathy split file: use format coco-karpathy)'
      : '';
    const images = arrayField(doc, 'images', source, hint);
    const annotations = arrayField(doc, 'annotations', source, hint);
    const split = opts.split !== undefined ? opts.split : splitFromFileName(source);
    const plan = new ImportPlan('coco', source, opts.root);

    const pathById = new Map<string, string>();
    images.forEach((img, i) => {
      const where = `${source}: images[${i}]`;
      if (!isObject(img)) throw new ImportError(`${where}: not an object`);
      const id = idField(img, 'id', where);
      if (pathById.has(id)) throw new ImportError(`${where}: duplicate image id ${id}`);
      const rel = plan.uniqueMedia('image', stringField(img, 'file_name', where), where, { coco_id: Number(id) || id });
      pathById.set(id, rel);
    });
    annotations.forEach((ann, i) => {
      const where = `${source}: annotations[${i}]`;
      if (!isObject(ann)) throw new ImportError(`${where}: not an object`);
      const id = idField(ann, 'id', where);
      const imageId = idField(ann, 'image_id', where);
      const rel = pathById.get(imageId);
      if (rel === undefined) throw new ImportError(`${where}: caption refers to unknown image id ${imageId}`);
      const key = plan.text(`ann:${id}`, ann.caption, where);
      plan.pair(rel, key, split);
    });
    return plan;
  },
};
