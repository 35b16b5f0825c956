// altmoe store push --to postgres://... and altmoe store status --to ...: copy the catalog's
// collections into PostgreSQL + pgvector, and see what a store holds for this catalog.
import { storePushSchema, storeUrl } from '../../../../src-shared/schemas.ts';
import { definedOnly } from '../../../../src-shared/objects.ts';
import { Catalog } from '../../catalog/catalog.ts';
import { pushToStore, storeStatus } from '../../store/postgres/push.ts';
import { table } from '../render.ts';
import { progressPrinter } from '../progress.ts';
import { noMoreArgs, num, UsageError, validated, withSigint, type Command } from '../args.ts';

export const store: Command = async ({ catalogFile, args, values, io }) => {
  const [sub, ...rest] = args;
  noMoreArgs(rest);
  if (sub !== 'push' && sub !== 'status') throw new UsageError('store needs "push" or "status": altmoe store push --to postgres://user@host/db');
  if (values.to === undefined) throw new UsageError(`store ${sub} needs --to postgres://user@host:5432/db`);
  if (sub === 'status') {
    const url = validated(storeUrl, values.to);
    const catalog = Catalog.open(catalogFile, { create: false });
    try {
      const s = await storeStatus(catalog, url);
      if (values.json) io.out(JSON.stringify(s, null, 2));
      else if (s.collections.length === 0) io.out(`${s.store} holds nothing of this catalog yet`);
      else io.out(table(['collection', 'modality', 'rows', 'kind', 'state', 'pushed'], s.collections.map((c) => [c.name, c.modality, c.rows, c.kind, c.complete ? 'complete' : 'unfinished (push again)', c.pushedAt ?? '-'])));
      return 0;
    } finally {
      catalog.close();
    }
  }
  const request = validated(
    storePushSchema,
    definedOnly({ to: values.to, encoder: values.encoder, run: num(values.run), halfvec: values.halfvec, batch: num(values.batch), m: num(values.m), efConstruction: num(values['ef-construction']) }),
  );
  const catalog = Catalog.open(catalogFile, { create: false });
  const printer = progressPrinter(io.err);
  try {
    const { to, ...options } = request;
    const report = await withSigint((signal) => pushToStore(catalog, to, { ...options, signal, onProgress: (p) => printer.update({ phase: `pushing ${p.collection} (${p.sent.toLocaleString('en-US')} sent)`, done: p.done, total: p.total }) }));
    printer.done();
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else {
      io.out(table(['collection', 'rows', 'sent', 'unchanged', 'deleted', 'index s'], report.collections.map((c) => [c.what, c.rows, c.sent, c.unchanged, c.deleted, c.indexSeconds.toFixed(1)])));
      io.out(`pushed to ${report.store} in ${report.seconds.toFixed(1)}s${report.dropped > 0 ? `; dropped ${report.dropped} collection(s) of replaced models or runs` : ''}`);
    }
    return 0;
  } finally {
    printer.done();
    catalog.close();
  }
};
