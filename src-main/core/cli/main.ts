// The CLI: a table of commands (one module each under commands/), each turning its flags into the
// same validated request the API takes, calling the engine and rendering the result. Errors are one
// line: exit code 2 for a usage mistake (bad flag or value), 1 for anything else (unknown ids
// included); never a stack trace for a user's mistake.
import path from 'node:path';
import { defaultCatalogPath } from '../catalog/location.ts';
import { asFileSystemError, UserError } from '../util/errors.ts';
import { parseCommandLine, UsageError, type CliIo, type Command } from './args.ts';
import { HELP } from './help.ts';
import { terminalSafe } from './render.ts';
export type { CliIo };

/**
 * The commands, each loaded when it runs: a command's module pulls in what it needs (ONNX Runtime,
 * the tokenisers, sharp, pg...), and loading all of them made every command, --help included, start
 * in about two seconds and 300 MB.
 */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => (await import('./commands/catalog.ts')).init,
  import: async () => (await import('./commands/import.ts')).importCommand,
  stats: async () => (await import('./commands/catalog.ts')).stats,
  list: async () => (await import('./commands/catalog.ts')).list,
  train: async () => (await import('./commands/train.ts')).train,
  eval: async () => (await import('./commands/runs.ts')).evalCommand,
  export: async () => (await import('./commands/runs.ts')).exportCommand,
  'delete-run': async () => (await import('./commands/runs.ts')).deleteRunCommand,
  'delete-dataset': async () => (await import('./commands/runs.ts')).deleteDatasetCommand,
  encoder: async () => (await import('./commands/encoder.ts')).encoder,
  embed: async () => (await import('./commands/embed.ts')).embed,
  search: async () => (await import('./commands/search.ts')).search,
  serve: async () => (await import('./commands/serve.ts')).serve,
  demo: async () => (await import('./commands/demo.ts')).demo,
  store: async () => (await import('./commands/store.ts')).store,
  map: async () => (await import('./commands/explore.ts')).map,
  duplicates: async () => (await import('./commands/explore.ts')).duplicates,
};

/** Runs one CLI command; returns the process exit code. */
export async function runCli(argv: string[], rawIo: CliIo = { out: (t) => process.stdout.write(`${t}\n`), err: process.stderr }): Promise<number> {
  const io = terminalSafeIo(rawIo);
  try {
    const { values, positionals } = parseCommandLine(argv);
    const [command, ...args] = positionals;
    if (values.help || command === undefined || command === 'help') {
      io.out(HELP);
      return command === undefined && !values.help ? 2 : 0;
    }
    const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!load) throw new UsageError(`unknown command "${command}"`);
    const run = await load();
    return await run({ catalogFile: path.resolve(values.catalog ?? defaultCatalogPath()), args, values, io });
  } catch (err) {
    return reportError(err, io);
  }
}

/** One line on stderr, never a stack trace for a known problem; exit 2 for usage, 1 otherwise. */
function reportError(caught: unknown, io: CliIo): number {
  // The same words for a file-system error as the API's ("a loop of symbolic links: /data/x").
  const err = asFileSystemError(caught);
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

/** Every path out of the CLI goes through terminalSafe: dataset strings (file names, captions, titles) reach a terminal inert. */
function terminalSafeIo(io: CliIo): CliIo {
  const err = new Proxy(io.err, {
    get(target, prop) {
      if (prop === 'write') return (chunk: unknown, ...rest: unknown[]) => (target.write as (...a: unknown[]) => boolean)(typeof chunk === 'string' ? terminalSafe(chunk) : chunk, ...rest);
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { out: (text) => io.out(terminalSafe(text)), err };
}
