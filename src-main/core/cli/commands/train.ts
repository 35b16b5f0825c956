// altmoe train: a new run from the flags (the same request, checks and options as the API's
// train:start), or --resume RUN.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { TrainRequest } from '../../../../src-shared/api.ts';
import { definedOnly } from '../../../../src-shared/objects.ts';
import { trainSchema } from '../../../../src-shared/schemas.ts';
import { MODALITIES, type Modality } from '../../../../src-shared/types.ts';
import { Catalog } from '../../catalog/catalog.ts';
import { checkResumable, checkTrainRequest, trainOptions } from '../../runs/request.ts';
import { resumeConnector, trainConnector } from '../../runs/run.ts';
import { type RunEvent } from '../../runs/events.ts';
import { runConfig, runsFolderOf } from '../../runs/config.ts';
import { recordedJob } from '../../catalog/job-records.ts';
import { formatRunSummary } from '../render.ts';
import { csv, noMoreArgs, num, oneOf, positiveInt, runIdArg, UsageError, validated, withSigint, type CliIo, type Command, type Values } from '../args.ts';

/** "image:text,audio:text" -> pairs; the schema then checks the modalities. */
function parsePairs(raw: string | undefined): [string, string][] {
  if (!raw) throw new UsageError('train needs --pairs, e.g. --pairs image:text');
  return raw.split(',').map((p) => {
    const parts = p.split(':');
    if (parts.length !== 2) throw new UsageError(`--pairs: "${p}" is not a pair of two modalities like image:text (modalities: ${MODALITIES.join(', ')})`);
    return [parts[0]!, parts[1]!];
  });
}

function parseEncoders(raw: string | undefined): Partial<Record<Modality, string>> | undefined {
  if (raw === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const part of raw.split(',')) {
    const [m, name] = part.split('=');
    if (!m || !name) throw new UsageError(`--encoders: "${part}" is not MODALITY=NAME`);
    out[m] = name;
  }
  return out;
}

/** The flags as the API's train request, checked by the same schema. */
export function trainRequest(values: Values): TrainRequest {
  return validated(
    trainSchema,
    definedOnly({
      name: values.name,
      pairs: parsePairs(values.pairs),
      preset: values.preset,
      budgetSeconds: num(values.budget),
      trials: num(values.trials),
      seed: num(values.seed),
      trainPairs: num(values['train-pairs']),
      datasets: csv(values.datasets),
      encoders: parseEncoders(values.encoders),
      provider: values.provider,
      steps: num(values.steps),
      batchSize: num(values.batch),
      evalEvery: num(values['eval-every']),
      patience: num(values.patience),
      lr: num(values.lr),
      connector: values.connector,
      schedule: values.schedule,
      loss: values.loss,
      duplicates: values.duplicates,
      unpaired: values.unpaired === undefined || values.unpaired === 'auto' || values.unpaired === 'none' ? values.unpaired : csv(values.unpaired),
    }),
  ) as TrainRequest;
}

function printEvent(io: CliIo, started: number): (e: RunEvent) => void {
  let planned = 0;
  let announced = false;
  return (e) => {
    const secs = (Date.now() - started) / 1000;
    if (e.type === 'progress') {
      // The planned total and an estimate of the time left (the step count can grow as trials start).
      planned = Math.max(planned, e.steps);
      const eta = e.stepsPerSec > 0 ? ` ~${Math.ceil((planned - e.step) / e.stepsPerSec)}s left` : '';
      io.err.write(`step ${e.step}/${planned} ${e.task} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} ${e.stepsPerSec.toFixed(1)} steps/s (${secs.toFixed(0)}s${eta})\n`);
    } else if (e.type === 'recall') io.err.write(`val ${e.pair} @${e.step}: R@1 ${(100 * e.result.forward.r1).toFixed(1)} / ${(100 * e.result.backward.r1).toFixed(1)}, RSUM ${e.result.rsum.toFixed(1)}${e.best ? ' (best)' : ''}\n`);
    else if (e.type === 'warning') io.err.write(`warning: ${e.message}\n`);
    else if (e.type === 'trial') io.err.write(`auto: trial ${e.index}/${e.of} (${e.settings}); best val score so far ${e.bestSoFar?.toFixed(1) ?? '-'}; ${Math.round(e.secondsLeft)} s of the budget left\n`);
    else if (e.type === 'chosen') io.err.write(`auto: kept trial ${e.trial} (${e.settings})${Object.entries(e.pairs).map(([p, r]) => (r.trial !== e.trial ? `; ${p} from trial ${r.trial}` : '')).join('')}\n`);
    // Training goes in chunks between evaluations, each a 'started': say it once per run or trial.
    else if (e.type === 'started' && (!announced || e.step === 0) && (announced = true)) io.err.write(`training on ${e.provider}, ${e.parameters.toLocaleString('en-US')} parameters${e.resumed ? `, resumed at step ${e.step}` : ''}\n`);
  };
}

/** Bytes of the files under a folder (0 when it is gone). */
function folderBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).reduce((n, e) => (e.isFile() ? n + fs.statSync(`${e.parentPath}/${e.name}`).size : n), 0);
}

export const train: Command = async ({ catalogFile, args, values, io }) => {
  noMoreArgs(args);
  const exec = { threads: positiveInt(values.threads, 'threads', 256), provider: oneOf(values.provider, 'provider', ['cpu', 'webgpu', 'cuda'] as const) };
  const request = values.resume ? null : trainRequest(values);
  const resumeRun = values.resume ? runIdArg(values.resume) : null;
  const catalog = Catalog.open(catalogFile, { create: false });
  try {
    // Checked completely before a job exists, as the API does.
    const options = request ? { ...trainOptions(request, runsFolderOf(catalogFile)), ...definedOnly(exec) } : null;
    if (resumeRun !== null) checkResumable(catalog, resumeRun);
    else checkTrainRequest(catalog, options!);
    const id = randomUUID();
    io.err.write(`job ${id}\n`);
    const title = request ? `train ${request.pairs.map((x) => x.join('<->')).join(', ')} (${request.preset ?? 'auto'})` : `resume run ${resumeRun}`;
    const summary = await withSigint((signal) =>
      recordedJob(
        catalog,
        { id, kind: 'train', title, request: request ?? { run: resumeRun } },
        (attachRun) => {
          if (resumeRun !== null) attachRun(resumeRun);
          const onEvent = printEvent(io, Date.now());
          const withRun = (e: RunEvent): void => {
            if (e.type === 'created') attachRun(e.runId);
            onEvent(e);
          };
          // Ctrl-C stops after the current step and keeps a checkpoint: "altmoe train --resume RUN" continues.
          return resumeRun !== null
            ? resumeConnector(catalog, resumeRun, withRun, signal, exec)
            : trainConnector(catalog, options!, withRun, signal);
        },
        (s) => (catalog.runs.get(s.runId)?.status === 'done' ? 'done' : 'cancelled'),
      ),
    );
    const run = catalog.runs.get(summary.runId)!;
    const kept = run.status === 'done' ? 0 : folderBytes(runConfig(catalog, run.id).dir);
    io.out(values.json ? JSON.stringify(summary, null, 2) : formatRunSummary(run.name, run.status, summary, kept));
    return run.status === 'done' ? 0 : 1;
  } finally {
    catalog.close();
  }
};
