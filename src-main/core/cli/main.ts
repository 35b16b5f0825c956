// The CLI: a table of commands (one module each under commands/), each turning its flags into the
// same validated request the API takes, calling the engine and rendering the result. Errors are one
// line: exit code 2 for a usage mistake (bad flag or value), 1 for anything else (unknown ids
// included); never a stack trace for a user's mistake.
import path from 'node:path';
import { defaultCatalogPath } from '../catalog/location.ts';
import { UserError } from '../util/errors.ts';
import { parseCommandLine, UsageError, type CliIo, type Command } from './args.ts';
import { HELP } from './help.ts';
import { init, list, stats } from './commands/catalog.ts';
import { importCommand } from './commands/import.ts';
import { train } from './commands/train.ts';
import { deleteDatasetCommand, deleteRunCommand, evalCommand, exportCommand } from './commands/runs.ts';
import { encoder } from './commands/encoder.ts';
import { embed } from './commands/embed.ts';
import { search } from './commands/search.ts';
import { serve } from './commands/serve.ts';
import { demo } from './commands/demo.ts';
import { store } from './commands/store.ts';
import { duplicates, map } from './commands/explore.ts';

export type { CliIo };

export const COMMANDS: Record<string, Command> = {
  init,
  import: importCommand,
  stats,
  list,
  train,
  eval: evalCommand,
  export: exportCommand,
  'delete-run': deleteRunCommand,
  'delete-dataset': deleteDatasetCommand,
  encoder,
  embed,
  search,
  serve,
  demo,
  store,
  map,
  duplicates,
};

/** Runs one CLI command; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo = { out: (t) => process.stdout.write(`${t}\n`), err: process.stderr }): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(argv);
    const [command, ...args] = positionals;
    if (values.help || command === undefined || command === 'help') {
      io.out(HELP);
      return command === undefined && !values.help ? 2 : 0;
    }
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!run) throw new UsageError(`unknown command "${command}"`);
    return await run({ catalogFile: path.resolve(values.catalog ?? defaultCatalogPath()), args, values, io });
  } catch (err) {
    return reportError(err, io);
  }
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
