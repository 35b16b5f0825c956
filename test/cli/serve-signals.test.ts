// altmoe serve stops on Ctrl-C (SIGINT) and on SIGTERM within seconds, as a service manager expects.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/altmoe.js');

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function serveThenSignal(signal: NodeJS.Signals): Promise<{ code: number | null; seconds: number }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(await freePort()), '--catalog', path.join(tempDir(), 'c.db')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (/open: http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(out)) resolve();
    });
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', () => reject(new Error(`serve ended before it served: ${out}`)));
  });
  const sent = performance.now();
  child.kill(signal);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, seconds: (performance.now() - sent) / 1000 };
}

describe('altmoe serve and signals', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`exits with 0 within seconds of ${signal}`, async () => {
      const { code, seconds } = await serveThenSignal(signal);
      expect(code).toBe(0);
      expect(seconds).toBeLessThan(15);
    }, 60_000);
  }
});
