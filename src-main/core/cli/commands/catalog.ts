// altmoe init, stats, list: the catalog itself.
import { READERS } from '../../datasets/import.ts';
import type { Catalog } from '../../catalog/catalog.ts';
import { jobParams, reconcileJobs } from '../../catalog/job-records.ts';
import { formatStats, table } from '../render.ts';
import { UsageError, withCatalog, type Command } from '../args.ts';
import { metricSplit } from '../../../../src-shared/metric-keys.ts';

export const init: Command = ({ catalogFile, values, io }) =>
  withCatalog(catalogFile, { create: true }, (c) => {
    io.out(values.json ? JSON.stringify({ catalog: c.file, schemaVersion: c.stats().schemaVersion }) : `catalog ready: ${c.file}`);
    return 0;
  });

export const stats: Command = ({ catalogFile, values, io }) =>
  withCatalog(catalogFile, { create: false }, (c) => {
    const s = c.stats();
    io.out(values.json ? JSON.stringify(s, null, 2) : formatStats(s));
    return 0;
  });

const LISTS = ['datasets', 'encoders', 'imports', 'formats', 'runs', 'jobs'] as const;

export const list: Command = ({ catalogFile, args, values, io }) => {
  const what = args[0] ?? 'datasets';
  if (args.length > 1) throw new UsageError(`unexpected argument "${args[1]}"`);
  if (!(LISTS as readonly string[]).includes(what)) throw new UsageError(`cannot list "${what}" (${LISTS.join(', ')})`);
  if (what === 'formats') {
    io.out(listFormats(values.json === true));
    return 0;
  }
  // Listing jobs also finds those a crash cut off: the catalog must be writable for that.
  return withCatalog(catalogFile, { create: false }, (c) => {
    io.out(listOf(c, what, values.json === true));
    return 0;
  });
};

function listOf(catalog: Catalog, what: string, json: boolean): string {
  const stats = catalog.stats();
  switch (what) {
    case 'encoders':
      if (json) return JSON.stringify(stats.encoders, null, 2);
      return table(['name', 'modality', 'dim', 'vectors', 'hash'], stats.encoders.map((e) => [e.name, e.modality, e.dim, e.vectors, e.fileHash]));
    case 'imports': {
      const rows = stats.datasets.flatMap((d) => catalog.imports.forDataset(d.id).map((i) => ({ dataset: d.name, format: i.format, source: i.source, at: new Date(i.created_at).toISOString() })));
      if (json) return JSON.stringify(rows, null, 2);
      return table(['dataset', 'format', 'when', 'source'], rows.map((r) => [r.dataset, r.format, r.at, r.source]));
    }
    case 'runs': {
      const rows = catalog.runs.list().map((r) => {
        const rsum = catalog.metrics.forRun(r.id).filter((m) => m.split === metricSplit.val() && m.name === 'rsum');
        const best = rsum.reduce((b, m) => Math.max(b, m.value), -1);
        return { id: r.id, name: r.name, status: r.status, bestValRsum: best >= 0 ? best : null, updated: new Date(r.updated_at).toISOString() };
      });
      if (json) return JSON.stringify(rows, null, 2);
      return table(['id', 'name', 'status', 'best val RSUM', 'updated'], rows.map((r) => [r.id, r.name, r.status, r.bestValRsum?.toFixed(1) ?? '-', r.updated]));
    }
    case 'jobs': {
      reconcileJobs(catalog);
      const rows = catalog.jobs.list().map((j) => {
        const p = jobParams(j);
        return { id: j.id, kind: j.kind, status: j.status, title: j.title, run: typeof p.runId === 'number' ? p.runId : null, started: new Date(j.created_at).toISOString(), error: j.error };
      });
      if (json) return JSON.stringify(rows, null, 2);
      return table(
        ['id', 'kind', 'status', 'what', 'run', 'started', 'resume with'],
        rows.map((r) => [r.id, r.kind, r.status, r.title, r.run ?? '-', r.started, resumeHint(r.kind, r.status, r.id, r.run, r.run === null ? undefined : catalog.runs.get(r.run)?.status)]),
      );
    }
    default:
      if (json) return JSON.stringify(stats.datasets, null, 2);
      return table(
        ['name', 'format', 'images', 'texts', 'audio', 'pairs', 'root'],
        stats.datasets.map((d) => [d.name, d.format, d.items.image ?? 0, d.items.text ?? 0, d.items.audio ?? 0, d.pairs.train + d.pairs.val + d.pairs.test + d.pairs.unassigned, d.root]),
      );
  }
}

/** How to go on with a job that stopped; nothing for a train job whose run finished since (resumed under another job) or is gone. */
function resumeHint(kind: string, status: string, id: string, run: number | null, runStatus: string | undefined): string {
  if (!['interrupted', 'cancelled', 'failed'].includes(status)) return '';
  if (kind === 'embed') return `altmoe embed --resume ${id}`;
  if (kind === 'train') return run !== null && runStatus !== undefined && runStatus !== 'done' ? `altmoe train --resume ${run}` : '';
  return kind === 'import' ? 'import it again' : '';
}

function listFormats(json: boolean): string {
  const rows = Object.values(READERS).map((r) => ({ format: r.format, description: r.description }));
  rows.push({ format: 'npy', description: 'precomputed vectors: float32/float16 .npy [N, d] plus an id list' });
  if (json) return JSON.stringify(rows, null, 2);
  return table(['format', 'description'], rows.map((r) => [r.format, r.description]));
}
