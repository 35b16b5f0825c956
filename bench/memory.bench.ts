// npm run bench:memory — the server's memory as a user meets it: `altmoe serve` (its own process) on
// a real catalog (the demo's drawings with MobileNetV2 and GloVe vectors), its resident set size
// fresh, after a first text search, at the end of a training run started through the API (its
// child process included in the peak), and idle after it. Writes bench/results/memory.json. Target: under 500 MB idle after a training run.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { runDemo } from '../src-main/core/demo/demo.ts';
import { SEARCH_IDLE_MS } from '../src-main/core/search/search-client.ts';
import type { JobInfo } from '../src-shared/api.ts';

const ITEMS = Number(process.env.MEMORY_ITEMS ?? 1000);
const BUDGET = Number(process.env.MEMORY_BUDGET ?? 60);
const BIN = path.resolve(import.meta.dirname, '../bin/altmoe.js');

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-memory-bench-'));
const file = path.join(dir, 'catalog.db');
try {
  // The demo catalog is built once into bench/data/ (ignored by git) and copied: embedding takes minutes.
  const cached = path.resolve(import.meta.dirname, 'data', `memory-${ITEMS}.db`);
  if (!fs.existsSync(`${cached}.done`)) {
    process.stderr.write(`building a catalog of ${ITEMS} drawings (the demo, without its UI)...\n`);
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    const c = Catalog.open(cached);
    await runDemo(c, { items: ITEMS, budgetSeconds: 15 });
    c.close();
    fs.writeFileSync(`${cached}.done`, new Date().toISOString());
  }
  fs.copyFileSync(cached, file);
  fs.cpSync(`${cached}.runs`, `${file}.runs`, { recursive: true });

  const port = await freePort();
  const server = spawn(process.execPath, [BIN, 'serve', '--catalog', file, '--port', String(port), '--json'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...(process.env.MEMORY_MALLOC ? { MALLOC_ARENA_MAX: process.env.MEMORY_MALLOC } : {}) } });
  const started = await new Promise<{ port: number; token: string }>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { port: number; token: string });
    });
    server.on('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
  const call = async <T>(channel: string, payload?: unknown): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${started.port}/api/${channel}`, { method: 'POST', headers: { authorization: `Bearer ${started.token}`, 'content-type': 'application/json' }, body: payload === undefined ? '' : JSON.stringify(payload) });
    const body = (await res.json()) as { ok: boolean; result: T; error?: string };
    if (!body.ok) throw new Error(`${channel}: ${body.error}`);
    return body.result;
  };
  const pid = server.pid!;
  const samples: Record<string, number> = {};
  await call('catalog:stats');
  await sleep(3000);
  samples.fresh = rssMb(pid);
  const t0 = performance.now();
  await call('search:query', { query: { text: 'a red apple on a table' }, to: ['image', 'text'], k: 20 });
  const firstSearchMs = performance.now() - t0;
  await sleep(2000);
  samples.after_search = rssMb(pid);

  const { jobId } = await call<{ jobId: string }>('train:start', { pairs: [['image', 'text']], budgetSeconds: BUDGET });
  let peak = 0;
  let job: JobInfo | undefined;
  // The training job's own process counts towards the peak (the server's children).
  const children = (): number[] => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const total = (): number => rssMb(pid) + children().reduce((s, c) => s + (fs.existsSync(`/proc/${c}/status`) ? rssMb(c) : 0), 0);
  for (;;) {
    peak = Math.max(peak, total());
    job = (await call<JobInfo[]>('jobs:list')).find((j) => j.jobId === jobId);
    if (job && job.status !== 'running' && job.status !== 'queued') break;
    await sleep(500);
  }
  if (job?.status !== 'done') throw new Error(`training ended ${job?.status}: ${job?.error ?? ''}`);
  samples.training_peak = peak;
  samples.after_training = rssMb(pid);
  // Idle: past the search worker's release (SEARCH_IDLE_MS) with nothing asked.
  await sleep(SEARCH_IDLE_MS + 10_000);
  samples.idle_after_training = rssMb(pid);
  await call('search:query', { query: { text: 'a red apple on a table' }, to: ['image', 'text'], k: 20 });
  await sleep(2000);
  samples.after_search_through_run = rssMb(pid);
  server.kill('SIGINT');

  const round = (x: number) => Math.round(x);
  const out = {
    benchmark: 'altmoe serve resident set size (MB): the server process (engine, search worker thread); training_peak adds its training child process',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 1024 ** 3) },
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
    catalog: { drawings: ITEMS, encoders: ['mobilenet (image, 1280-d)', 'glove (text, 100-d, 100,000 words)'] },
    training: { request: 'train:start with the defaults (auto preset) on image:text', budget_seconds: BUDGET },
    first_search_ms: round(firstSearchMs),
    rss_mb: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, round(v)])),
    target_mb: { idle_after_training: 500 },
    met: samples.idle_after_training! < 500,
  };
  fs.mkdirSync(path.resolve(import.meta.dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.resolve(import.meta.dirname, 'results/memory.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out, null, 2));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
