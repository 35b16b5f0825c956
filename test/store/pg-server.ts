// A real pgvector server for tests: scripts/pglite-server.ts (PGlite + pglite-pgvector behind
// pglite-socket) in a child process on a free loopback port, started and stopped by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/pglite-server.ts');

export interface PgServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function startPgServer(flags: string[] = []): Promise<PgServer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`pglite server did not start: ${err}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`pglite server exited (${code}): ${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('postgres://'));
      if (!line) return;
      clearTimeout(timer);
      const url = line.trim();
      resolve({
        url,
        port: Number(new URL(url).port),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
  });
}
