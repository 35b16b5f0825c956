// altmoe map and altmoe duplicates: look at the catalog's vectors before trusting them.
import path from 'node:path';
import { duplicatesSchema, mapStartSchema, itemId } from '../../../../src-shared/schemas.ts';
import { definedOnly } from '../../../../src-shared/objects.ts';
import { Catalog } from '../../catalog/catalog.ts';
import { findDuplicates, markDuplicates } from '../../duplicates/report.ts';
import { readMap } from '../../map/map.ts';
import { mapInWorker } from '../../map/map-runner.ts';
import { COLOR_BY, renderMapPng, type ColorBy } from '../../map/render-png.ts';
import { progressPrinter } from '../progress.ts';
import { printable, table } from '../render.ts';
import { noMoreArgs, num, oneOf, positiveInt, UsageError, validated, withSigint, type Command } from '../args.ts';

/** "audio:text" -> the two modalities; the schema then checks them. */
function parsePair(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(':');
  if (parts.length !== 2) throw new UsageError(`--pair: "${raw}" is not a pair of two modalities like audio:text`);
  return parts;
}

const PHASES = { vectors: 'reading vectors', neighbours: 'finding neighbours', layout: 'laying out (UMAP)', placing: 'placing the rest' };

export const map: Command = async ({ catalogFile, args, values, io }) => {
  noMoreArgs(args);
  if ((values.encoder === undefined) === (values.run === undefined)) throw new UsageError('map needs --encoder NAME or --run RUN (one of them)');
  if (values.pair !== undefined && values.run === undefined) throw new UsageError('--pair names one of a run\'s pairs: use it with --run');
  const request = validated(mapStartSchema, definedOnly({ encoder: values.encoder, run: num(values.run), pair: parsePair(values.pair), sample: num(values.sample), seed: num(values.seed), force: values.force }));
  const color: ColorBy = oneOf(values.color, 'color', COLOR_BY) ?? 'dataset';
  const source = 'encoder' in request ? { encoder: request.encoder } : { run: request.run, ...(request.pair ? { pair: request.pair } : {}) };
  const catalog = Catalog.open(catalogFile, { create: false });
  const printer = progressPrinter(io.err);
  try {
    const { encoder: _e, run: _r, pair: _p, ...settings } = request as typeof request & { encoder?: string; run?: number; pair?: unknown };
    const threads = positiveInt(values.threads, 'threads', 256);
    const outcome = await withSigint((signal) => mapInWorker(catalogFile, source, { ...settings, ...(threads ? { threads } : {}) }, (p) => printer.update({ phase: PHASES[p.phase], done: p.done, total: p.total }), signal));
    printer.done();
    const info = readMap(catalog, source)!;
    if (values.out) await renderMapPng(info, color, path.resolve(values.out));
    if (values.json) io.out(JSON.stringify({ source: info.source, space: info.space, points: info.ids.length, cached: outcome.cached, seconds: outcome.seconds, ...(values.out ? { out: path.resolve(values.out) } : {}) }, null, 2));
    else io.out(`${outcome.cached ? 'map from the cache:' : 'mapped'} ${info.ids.length.toLocaleString('en-US')} points of ${info.space} (${outcome.seconds.toFixed(1)}s to lay out)${values.out ? `; wrote ${values.out} (by ${color})` : ''}`);
    return 0;
  } finally {
    printer.done();
    catalog.close();
  }
};

export const duplicates: Command = async ({ catalogFile, args, values, io }) => {
  const [sub, ...rest] = args;
  if (sub === 'not' || sub === 'undo') {
    // altmoe duplicates not ITEM OTHER...: "ITEM is not a duplicate of these"; undo takes it back.
    if (rest.length < 2) throw new UsageError(`duplicates ${sub} needs an item and at least one other: altmoe duplicates ${sub} 12 34`);
    const [item, ...others] = rest.map((r) => validated(itemId, num(r)));
    const catalog = Catalog.open(catalogFile, { create: false });
    try {
      const changed = markDuplicates(catalog, item!, others, sub === 'not');
      io.out(values.json ? JSON.stringify({ changed }) : `${changed} mark(s) ${sub === 'not' ? 'added' : 'removed'}`);
      return 0;
    } finally {
      catalog.close();
    }
  }
  if (sub !== undefined) throw new UsageError(`unknown duplicates command "${sub}" (not, undo)`);
  const request = validated(duplicatesSchema, definedOnly({ encoder: values.encoder, modality: values.modality, threshold: num(values.threshold), exactOnly: values['exact-only'], limit: num(values.limit) }));
  const catalog = Catalog.open(catalogFile, { create: false, readonly: true });
  const printer = progressPrinter(io.err);
  try {
    const r = await findDuplicates(catalog, request, (done, total) => printer.update({ phase: 'comparing vectors', done, total }));
    printer.done();
    if (values.json) {
      io.out(JSON.stringify(r, null, 2));
      return 0;
    }
    for (const s of r.searched) io.out(`${s.modality}: ${s.encoder ? `${s.items.toLocaleString('en-US')} vectors of ${s.encoder} at cosine >= ${r.threshold}` : 'content hashes only (no vectors)'}`);
    io.out(`${r.total} duplicate group(s), ${r.redundant} redundant item(s); ${r.straddling} group(s) straddle train and val/test; ${r.marks} "not a duplicate" mark(s)`);
    if (r.groups.length > 0) {
      const rows = r.groups.flatMap((g, i) =>
        g.members.map((m, j) => [j === 0 ? `${i + 1}${g.straddles ? ' !' : ''}` : '', j === 0 ? (g.exact ? 'exact' : `${g.minSim.toFixed(3)}-${g.maxSim.toFixed(3)}`) : '', m.itemId, printable(m.dataset), m.splits.join(',') || '-', printable((m.path ?? m.text ?? '').slice(0, 70))]),
      );
      io.out(table(['group', 'similarity', 'item', 'dataset', 'splits', 'path or text'], rows));
      if (r.total > r.groups.length) io.out(`(the ${r.groups.length} largest of ${r.total} groups; --limit N for more)`);
      if (r.straddling > 0) io.out('! straddles train and val/test: held-out recall may be inflated (train --duplicates drop or merge)');
    }
    return 0;
  } finally {
    printer.done();
    catalog.close();
  }
};
