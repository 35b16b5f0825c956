// altmoe embed --encoder NAME (the API's embed:start request) or --resume JOB.
import { embedSchema } from '../../../../src-shared/schemas.ts';
import { definedOnly } from '../../../../src-shared/objects.ts';
import { Catalog } from '../../catalog/catalog.ts';
import { runEmbedJob, resumeEmbedJob, type EmbedProgress } from '../../encoders/embed-job.ts';
import { requireEncoder } from '../../encoders/registry.ts';
import { UserError } from '../../util/errors.ts';
import { progressPrinter } from '../progress.ts';
import { noMoreArgs, num, oneOf, positiveInt, UsageError, validated, withSigint, type Command } from '../args.ts';

export const embed: Command = async ({ catalogFile, args, values, io }) => {
  noMoreArgs(args);
  if (!values.encoder && !values.resume) throw new UsageError('embed needs --encoder NAME (or --resume JOB)');
  const request = values.resume ? null : validated(embedSchema, definedOnly({ encoder: values.encoder, dataset: values.dataset, batchSize: num(values.batch), provider: values.provider }));
  const threads = positiveInt(values.threads, 'threads', 256);
  const provider = oneOf(values.provider, 'provider', ['cpu', 'webgpu', 'cuda'] as const);
  const catalog = Catalog.open(catalogFile, { create: false });
  const printer = progressPrinter(io.err);
  try {
    // Checked before a job exists, as the API does.
    if (request) {
      requireEncoder(catalog, request.encoder);
      if (request.dataset !== undefined && !catalog.datasets.get(request.dataset)) throw new UserError(`no dataset named "${request.dataset}"`);
    }
    const report = await withSigint((signal) => {
      const exec = {
        signal,
        onStart: (jobId: string) => io.err.write(`job ${jobId}\n`),
        onProgress: (p: EmbedProgress) => printer.update({ phase: `embedding (${p.itemsPerSecond.toFixed(1)} items/s${p.etaSeconds !== null ? `, ${Math.ceil(p.etaSeconds)}s left` : ''})`, done: p.done, total: p.total }),
        onWarning: (m: string) => io.err.write(`warning: ${m}\n`),
        ...definedOnly({ threads, provider }),
      };
      return values.resume ? resumeEmbedJob(catalog, values.resume, exec) : runEmbedJob(catalog, { ...exec, ...request! });
    });
    printer.done();
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else {
      io.out(`${report.cancelled ? 'cancelled' : 'done'}: ${report.embedded} embedded, ${report.skipped} already done, ${report.failed} failed in ${report.seconds.toFixed(1)}s on ${report.provider} (job ${report.jobId})`);
      for (const f of report.failures.slice(0, 20)) io.out(`  item ${f.itemId} ${f.key}: ${f.error}`);
      if (report.failed > 20) io.out(`  ... and ${report.failed - 20} more (see --json)`);
      if (report.cancelled) io.out(`resume with: altmoe embed --resume ${report.jobId}`);
    }
    return report.cancelled ? 1 : 0;
  } finally {
    printer.done();
    catalog.close();
  }
};
