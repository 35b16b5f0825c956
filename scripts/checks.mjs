// npm run checks — lint, the Electron security check and the type check side by side. Run one after
// another they took 31 s of a 2-core machine's test command; the Electron check spends most of its
// 11 s waiting for a release list it cannot fetch offline, and the type check is the only one that
// uses both cores, so together they take about half. Each one's output is printed whole when it ends,
// so lines never interleave; the exit code is non-zero if any failed.
import { spawn } from 'node:child_process';

const SCRIPTS = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['lint', 'check:electron', 'typecheck'];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const run = (script) =>
  new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(npm, ['run', '-s', script], { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`${output}${output && !output.endsWith('\n') ? '\n' : ''}${code === 0 ? 'ok' : 'FAILED'}: npm run ${script} (${seconds} s)\n`);
      resolve(code === 0);
    });
  });

const results = await Promise.all(SCRIPTS.map(run));
process.exitCode = results.every(Boolean) ? 0 : 1;
