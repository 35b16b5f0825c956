// Every kind of background job and the body that runs it inside the job worker (job-worker.ts).
// A body loads its modules when it runs, so a worker loads only its own kind's code. Each opens its
// own catalog connection (a job never shares the caller's) and closes it however the job ends.
import type { Catalog } from '../catalog/catalog.ts';
import type { ImportJobData } from '../datasets/import-runner.ts';
import type { DemoJobData } from '../demo/demo-runner.ts';
import type { DuplicatesJobData } from '../duplicates/duplicates-runner.ts';
import type { BuildEncoderJobData, BuiltEncoder } from '../encoders/build-runner.ts';
import type { PulledEncoder, PullJobData } from '../encoders/hub/pull-runner.ts';
import type { MapJobData } from '../map/map-runner.ts';
import type { ConnectorJobData } from '../runs/connector-runner.ts';
import type { TrainJobData } from '../train/runner.ts';
import type { WorkerKind } from '../util/job-host.ts';

export interface JobContext {
  /** Aborted when the caller cancels (see job-worker.ts). */
  signal: AbortSignal;
  update: (u: unknown) => void;
}

type Body<D> = (data: D, ctx: JobContext) => Promise<unknown>;

async function withCatalog<R>(file: string, run: (catalog: Catalog) => Promise<R>, readonly = false): Promise<R> {
  const { Catalog } = await import('../catalog/catalog.ts');
  const catalog = Catalog.open(file, readonly ? { readonly } : undefined);
  try {
    return await run(catalog);
  } finally {
    catalog.close();
  }
}

const importBody: Body<ImportJobData> = async (d, ctx) => {
  const { importDataset } = await import('../datasets/import.ts');
  return withCatalog(d.catalogFile, (c) => importDataset(c, d.format, d.source, { ...d.options, signal: ctx.signal, onProgress: ctx.update }));
};
const mapBody: Body<MapJobData> = async (d, ctx) => {
  const { computeMap } = await import('../map/map.ts');
  return withCatalog(d.catalogFile, (c) => computeMap(c, d.source, { ...d.options, signal: ctx.signal, onProgress: ctx.update }));
};
const demoBody: Body<DemoJobData> = async (d, ctx) => {
  const { runDemo } = await import('../demo/demo.ts');
  return withCatalog(d.catalogFile, (c) => runDemo(c, { ...d.options, signal: ctx.signal, onProgress: ctx.update, onWarning: (warning) => ctx.update({ warning }) }));
};
const duplicatesBody: Body<DuplicatesJobData> = async (d, ctx) => {
  const { findDuplicates } = await import('../duplicates/report.ts');
  return withCatalog(d.catalogFile, (c) => findDuplicates(c, d.request, (done, total) => ctx.update({ done, total })), true);
};
const buildEncoderBody: Body<BuildEncoderJobData> = async (d) => {
  const { buildNpmEncoder } = await import('../encoders/npm-encoders.ts');
  return withCatalog(d.catalogFile, async (c): Promise<BuiltEncoder> => {
    const r = await buildNpmEncoder(c, d.kind);
    return { name: r.name, modality: r.spec.modality, dim: r.spec.dim, status: r.status };
  });
};
const pullEncoderBody: Body<PullJobData> = async ({ catalogFile, request }, ctx) => {
  const { pullEncoder } = await import('../encoders/hub/pull.ts');
  return withCatalog(catalogFile, async (c): Promise<PulledEncoder> => {
    const r = await pullEncoder(c, request.repo, { ...request, replace: request.replace === true, signal: ctx.signal, onProgress: ctx.update });
    return { name: r.encoder.name, modality: r.encoder.spec.modality, dim: r.encoder.spec.dim, status: r.encoder.status, downloaded: r.downloaded };
  });
};
const connectorBody: Body<ConnectorJobData> = async ({ catalogFile, job }, ctx) => {
  const { resumeConnector, trainConnector } = await import('../runs/run.ts');
  return withCatalog(catalogFile, (c) => (job.kind === 'train' ? trainConnector(c, job.options, ctx.update, ctx.signal) : resumeConnector(c, job.runId, ctx.update, ctx.signal, job.exec)));
};
const trainBody: Body<TrainJobData> = async ({ job, data, control }, ctx) => {
  const [{ buildModel }, { holdOn }, { train }] = await Promise.all([import('../model/build.ts'), import('../train/runner.ts'), import('../train/trainer.ts')]);
  return train(buildModel, job, data, ctx.update, () => ctx.signal.aborted, holdOn(control, ctx.update));
};

export const JOB_BODIES: { [K in WorkerKind]: Body<never> } = {
  import: importBody as Body<never>,
  map: mapBody as Body<never>,
  demo: demoBody as Body<never>,
  duplicates: duplicatesBody as Body<never>,
  'build-encoder': buildEncoderBody as Body<never>,
  'pull-encoder': pullEncoderBody as Body<never>,
  connector: connectorBody as Body<never>,
  train: trainBody as Body<never>,
};
