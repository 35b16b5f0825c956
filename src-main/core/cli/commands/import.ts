// altmoe import <format> <path>: captions and media (or precomputed vectors) into the catalog.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { importSchema } from '../../../../src-shared/schemas.ts';
import { IMPORT_FORMATS, type ImportFormat, type ImportReport } from '../../../../src-shared/types.ts';
import { Catalog } from '../../catalog/catalog.ts';
import { importDataset } from '../../datasets/import.ts';
import { importVectors } from '../../datasets/vectors.ts';
import { recordedJob } from '../../catalog/job-records.ts';
import { checkImportSource } from '../../datasets/request.ts';
import { progressPrinter } from '../progress.ts';
import { formatImportReport } from '../render.ts';
import { parseModality, parseSplit, UsageError, validated, type Command } from '../args.ts';

export const importCommand: Command = async ({ catalogFile, args, values, io }) => {
  const [format, source, ...extra] = args;
  if (!format || !source) throw new UsageError('import needs a format and a path, e.g. "altmoe import coco captions_train2017.json"');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!(IMPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown format "${format}" (one of: ${IMPORT_FORMATS.join(', ')})`);
  const split = parseSplit(values.split);
  let npy: { ids: string; dataset: string; encoder: string } | null = null;
  if (format === 'npy') {
    for (const opt of ['ids', 'dataset', 'encoder'] as const) if (!values[opt]) throw new UsageError(`import npy needs --${opt}`);
    npy = { ids: values.ids!, dataset: values.dataset!, encoder: values.encoder! };
  }
  // The same checks as the API's import request (format, paths, names).
  const request = format === 'npy' ? null : validated(importSchema, { format, source, ...(values.root ? { root: values.root } : {}), ...(values.name ? { name: values.name } : {}), ...(split ? { split } : {}) });
  const modality = parseModality(values.modality);
  checkImportSource(source);
  const progress = progressPrinter(io.err);
  const catalog = Catalog.open(catalogFile, { create: true });
  let report: ImportReport;
  try {
    const id = randomUUID();
    io.err.write(`job ${id}\n`);
    report = await recordedJob(catalog, { id, kind: 'import', title: `import ${format} ${path.basename(source)}`, request: request ?? { format, source, ...npy } }, async () =>
      npy
        ? importVectors(catalog, source, { ...npy, modality, encoderHash: values['encoder-hash'], replace: values.replace, onProgress: progress.update })
        : importDataset(catalog, format as Exclude<ImportFormat, 'npy'>, source, { name: values.name, root: values.root, split, strict: values.strict, hashMedia: !values['no-hash'], onProgress: progress.update }),
    );
  } finally {
    progress.done();
    catalog.close();
  }
  io.out(values.json ? JSON.stringify(report, null, 2) : formatImportReport(report));
  return 0;
};
