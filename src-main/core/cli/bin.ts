import { runCli } from './main.ts';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// A command that has returned waits for nothing more: a worker or a read that did not stop when it
// was told (a thread blocked in a read it cannot leave) must not keep the process alive for ever.
setTimeout(() => process.exit(code), 3000).unref();
