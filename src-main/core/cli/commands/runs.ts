// altmoe eval RUN, export RUN DIR, delete-run RUN, delete-dataset NAME.
import path from 'node:path';
import { evaluateRun } from '../../runs/evaluate-run.ts';
import { exportConnector } from '../../runs/export.ts';
import { deleteRun } from '../../runs/run.ts';
import { deleteDataset } from '../../datasets/delete.ts';
import { formatEval } from '../render.ts';
import { oneOf, runIdArg, UsageError, withCatalog, withCatalogAsync, type Command } from '../args.ts';

export const evalCommand: Command = ({ catalogFile, args, values, io }) => {
  const [run, ...extra] = args;
  if (!run) throw new UsageError('eval needs a run id');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const id = runIdArg(run);
  const split = oneOf(values.split, 'split', ['val', 'test'] as const) ?? 'test';
  const head = oneOf(values.head, 'head', ['mapped', 'pred'] as const);
  const checkpoint = oneOf(values.checkpoint, 'checkpoint', ['best', 'last'] as const);
  return withCatalogAsync(catalogFile, { create: false }, async (c) => {
    const result = await evaluateRun(c, id, split, head, checkpoint);
    io.out(values.json ? JSON.stringify(result, null, 2) : formatEval(result));
    return 0;
  });
};

export const exportCommand: Command = ({ catalogFile, args, values, io }) => {
  const [run, dir, ...extra] = args;
  if (!run || !dir) throw new UsageError('export needs a run id and a folder, e.g. "altmoe export 3 ./connector"');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const id = runIdArg(run);
  const checkpoint = oneOf(values.checkpoint, 'checkpoint', ['best', 'last'] as const);
  return withCatalog(catalogFile, { create: false }, (c) => {
    const r = exportConnector(c, id, path.resolve(dir), checkpoint);
    io.out(values.json ? JSON.stringify(r, null, 2) : `exported run ${id} to ${r.dir}: ${r.files.join(', ')}`);
    return 0;
  });
};

export const deleteRunCommand: Command = ({ catalogFile, args, values, io }) => {
  if (!args[0]) throw new UsageError('delete-run needs a run id');
  if (args.length > 1) throw new UsageError(`unexpected argument "${args[1]}"`);
  const id = runIdArg(args[0]);
  return withCatalog(catalogFile, { create: false }, (c) => {
    const dir = deleteRun(c, id);
    io.out(values.json ? JSON.stringify({ deleted: id, dir }) : `deleted run ${id}${dir ? ` and ${dir}` : ''}`);
    return 0;
  });
};

export const deleteDatasetCommand: Command = ({ catalogFile, args, values, io }) => {
  if (!args[0]) throw new UsageError('delete-dataset needs a dataset name (see "altmoe list datasets")');
  if (args.length > 1) throw new UsageError(`unexpected argument "${args[1]}"`);
  return withCatalog(catalogFile, { create: false }, (c) => {
    const r = deleteDataset(c, args[0]!);
    io.out(values.json ? JSON.stringify(r) : `deleted dataset "${r.deleted}" (${r.items} items with their pairs and vectors; media files were not touched)`);
    return 0;
  });
};
