// What every CLI command shares: the flags, the context a command runs in, and the few helpers that
// turn flag strings into the values of an API request. Values are checked by the API's own schemas
// (src-shared/schemas.ts), so the CLI and the API give the same message for the same mistake.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import { check, runId } from '../../../src-shared/schemas.ts';
import { MODALITIES, SPLITS, type Modality, type Split } from '../../../src-shared/types.ts';
import { Catalog } from '../catalog/catalog.ts';

/** A mistake in how the command was called: exit code 2 and a pointer to --help. */
export class UsageError extends Error {}

export const OPTIONS = {
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
  trials: { type: 'string' },
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
  checkpoint: { type: 'string' },
  item: { type: 'string' },
  to: { type: 'string' },
  k: { type: 'string', short: 'k' },
  'min-score': { type: 'string' },
  run: { type: 'string' },
  file: { type: 'string' },
  revision: { type: 'string' },
  output: { type: 'string' },
  pooling: { type: 'string' },
  words: { type: 'string' },
  image: { type: 'string' },
  audio: { type: 'string' },
  splits: { type: 'string' },
  port: { type: 'string' },
  storage: { type: 'string' },
  host: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  items: { type: 'string' },
  reset: { type: 'boolean' },
  'no-serve': { type: 'boolean' },
  store: { type: 'string' },
  exact: { type: 'boolean' },
  'ef-search': { type: 'string' },
  halfvec: { type: 'boolean' },
  m: { type: 'string' },
  'ef-construction': { type: 'string' },
  duplicates: { type: 'string' },
  unpaired: { type: 'string' },
  threshold: { type: 'string' },
  'exact-only': { type: 'boolean' },
  limit: { type: 'string' },
  out: { type: 'string' },
  color: { type: 'string' },
  sample: { type: 'string' },
  pair: { type: 'string' },
  force: { type: 'boolean' },
  semantic: { type: 'boolean' },
  paths: { type: 'boolean' },
  'all-copies': { type: 'boolean' },
} satisfies ParseArgsConfig['options'];


export type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

export interface CliIo {
  out: (text: string) => void;
  err: NodeJS.WriteStream;
}

/** What a command gets: the catalog file, its positional arguments and flags, and where to print. */
export interface CommandContext {
  catalogFile: string;
  args: string[];
  values: Values;
  io: CliIo;
}

export type Command = (ctx: CommandContext) => Promise<number> | number;

/** "--lr -0.1" -> "--lr=-0.1": a negative number is a value, not a flag (the schema then says why). */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : a.length === 2 && a.startsWith('-') ? Object.entries(OPTIONS).find(([, o]) => 'short' in o && o.short === a[1])?.[0] : undefined;
    const opt = name ? (OPTIONS as Record<string, { type: string }>)[name] : undefined;
    if (opt?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function parseCommandLine(argv: string[]): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
}

/** A flag's number as the API would receive it: NaN for text that is not one (the schema says why). */
export function num(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  return raw.trim() === '' ? Number.NaN : Number(raw);
}

/** "a,b,c" -> ["a", "b", "c"]. */
export const csv = (raw: string | undefined): string[] | undefined => (raw === undefined ? undefined : raw.split(',').filter((x) => x !== ''));

/** The value checked by the API's schema; a problem is a usage error with the API's message. */
export function validated<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = check(schema, value);
  if (!r.ok) throw new UsageError(r.message);
  return r.data;
}

export function noMoreArgs(args: string[]): void {
  if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
}

export function withCatalog<T>(file: string, opts: { create: boolean }, fn: (c: Catalog) => T): T {
  const catalog = Catalog.open(file, opts);
  try {
    return fn(catalog);
  } finally {
    catalog.close();
  }
}

export async function withCatalogAsync<T>(file: string, opts: { create: boolean }, fn: (c: Catalog) => Promise<T>): Promise<T> {
  const catalog = Catalog.open(file, opts);
  try {
    return await fn(catalog);
  } finally {
    catalog.close();
  }
}

/** A run id argument, checked by the API's own schema. */
export function runIdArg(raw: string): number {
  return validated(runId, num(raw));
}

export function oneOf<T extends string>(raw: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}`);
  return raw as T;
}

export function parseSplit(raw: string | undefined, flag = 'split'): Split | undefined {
  return oneOf(raw, flag, SPLITS);
}

export function parseModality(raw: string | undefined): Modality | undefined {
  return oneOf(raw, 'modality', MODALITIES);
}

/** A whole number >= 1 for a CLI-only flag (threads, words, port). */
export function positiveInt(raw: string | undefined, flag: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`--${flag} must be a whole number from 1 to ${max.toLocaleString('en-US')}`);
  return n;
}

/** Ctrl-C aborts the signal (the job stops at a safe point and keeps what it finished). */
export async function withSigint<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await fn(abort.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
