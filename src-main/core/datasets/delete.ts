// Deleting a dataset: its items, pairs, imports and vectors go in one transaction (foreign keys
// cascade from the dataset row). Media files are the user's and stay where they are; runs trained
// on the dataset keep their own files.
import type { Catalog } from '../catalog/catalog.ts';
import { reconcileJobs } from '../catalog/job-records.ts';
import { UserError } from '../util/errors.ts';

export function deleteDataset(catalog: Catalog, name: string): { deleted: string; items: number } {
  const d = catalog.datasets.get(name);
  if (!d) throw new UserError(`no dataset named "${name}"`);
  // Any process's job (an embed, an import, a training run, in the app or another CLI) may be
  // reading it: their rows say so once the jobs of dead processes are marked interrupted.
  reconcileJobs(catalog);
  const busy = [...catalog.jobs.withStatus('running'), ...catalog.jobs.withStatus('queued')][0];
  if (busy) throw new UserError(`a job is running (${busy.kind}${busy.title ? ` "${busy.title}"` : ''}, job ${busy.id}); delete the dataset when it has finished`);
  const stats = catalog.stats().datasets.find((x) => x.id === d.id);
  const items = Object.values(stats?.items ?? {}).reduce((s, n) => s + (n ?? 0), 0);
  catalog.write(() => catalog.datasets.delete(d.id));
  return { deleted: name, items };
}
