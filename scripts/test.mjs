// npm test — the whole suite: build (the end-to-end tests load the built UI), then the static checks
// (lint, the Electron security check, the type check) side by side with every vitest test. The
// checks wait on the network or use one core for most of their 30 s, so beside the tests they cost a
// few seconds instead of half a minute. Vitest prints as it runs; each check's output is printed
// whole when the tests end. The exit code is non-zero if the build, a check or a test failed.
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const shell = process.platform === 'win32';

function run(cmd, args, { buffered }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit', shell });
    let output = '';
    if (buffered) {
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
    }
    child.on('close', (code) => resolve({ ok: code === 0, output, seconds: (Date.now() - started) / 1000 }));
  });
}

const build = await run(npm, ['run', '-s', 'build'], { buffered: false });
if (!build.ok) {
  console.error('FAILED: npm run build');
  process.exit(1);
}
const checks = ['lint', 'check:electron', 'typecheck'].map((script) => run(npm, ['run', '-s', script], { buffered: true }).then((r) => ({ script, ...r })));
const tests = await run(npm, ['exec', '--', 'vitest', 'run', ...process.argv.slice(2)], { buffered: false });
let ok = tests.ok;
for (const c of await Promise.all(checks)) {
  process.stdout.write(`${c.output}${c.output && !c.output.endsWith('\n') ? '\n' : ''}${c.ok ? 'ok' : 'FAILED'}: npm run ${c.script} (${c.seconds.toFixed(1)} s)\n`);
  ok &&= c.ok;
}
if (!tests.ok) console.error('FAILED: vitest');
process.exitCode = ok ? 0 : 1;
