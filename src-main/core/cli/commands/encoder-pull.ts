// altmoe encoder pull REPO | encoder known: an encoder from the Hugging Face Hub, with sizes before the
// download, progress while it runs, and a resumable folder when Ctrl-C stops it.
import { Catalog } from '../../catalog/catalog.ts';
import { KNOWN_ENCODERS } from '../../encoders/hub/known.ts';
import { formatBytes } from '../../encoders/hub/plan.ts';
import { describePlan, pullEncoder } from '../../encoders/hub/pull.ts';
import { parseModality, UsageError, withSigint, type CliIo, type Values } from '../args.ts';
import { progressPrinter } from '../progress.ts';
import { table } from '../render.ts';

export async function encoderPull({ catalogFile, repo, values, io }: { catalogFile: string; repo: string | undefined; values: Values; io: CliIo }): Promise<number> {
  if (!repo) throw new UsageError('encoder pull needs a repository, e.g. "altmoe encoder pull Xenova/all-MiniLM-L6-v2" (see "altmoe encoder known")');
  const modality = parseModality(values.modality);
  const catalog = Catalog.open(catalogFile, { create: true });
  const progress = progressPrinter(io.err);
  try {
    const r = await withSigint((signal) =>
      pullEncoder(catalog, repo, {
        ...(modality ? { modality } : {}),
        ...(values.file ? { file: values.file } : {}),
        ...(values.revision ? { revision: values.revision } : {}),
        ...(values.name ? { name: values.name } : {}),
        replace: values.replace === true,
        signal,
        onProgress: (p) => {
          if (p.phase === 'plan') io.err.write(`${describePlan(p)}\n`);
          else if (p.phase === 'download') progress.update({ phase: `downloading ${p.file}`, done: p.done, total: p.total });
          else {
            progress.done();
            io.err.write(`registering "${p.name}" (reads the model once)...\n`);
          }
        },
      }),
    );
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else {
      const e = r.encoder;
      const what = { added: 'added', unchanged: 'already registered (unchanged)', replaced: `switched to this model; ${e.deletedVectors} old vector(s) deleted` }[e.status];
      const fetched = r.downloaded === 0 ? 'nothing downloaded (the folder was complete)' : `${formatBytes(r.downloaded)} downloaded`;
      io.out(`encoder "${e.name}" ${what}: ${e.spec.modality}, ${e.spec.dim} dims, from ${r.repo} (${r.onnxFile}) at ${r.revision}; ${fetched}; in ${r.dir}`);
    }
    return 0;
  } catch (err) {
    progress.done();
    if ((err as Error).name === 'AbortError') {
      io.err.write(`altmoe: interrupted; what was downloaded is kept: run the same command again to resume\n`);
      return 130;
    }
    throw err;
  } finally {
    catalog.close();
  }
}

export function encoderKnown(values: Values, io: CliIo): number {
  if (values.json) {
    io.out(JSON.stringify(KNOWN_ENCODERS, null, 2));
    return 0;
  }
  const rows = KNOWN_ENCODERS.map((k) => [k.repo, k.file, k.modality, k.dim, k.size, k.licence, k.note]);
  io.out(table(['repository', 'file', 'modality', 'dims', 'size', 'licence', 'good for'], rows));
  io.out('\npull one with: altmoe encoder pull REPO --file FILE   (weights download only when you run it)');
  return 0;
}
