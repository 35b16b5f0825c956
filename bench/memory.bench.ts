// npm run bench:memory — the server's memory as a user meets it. First `altmoe demo` as a newcomer
// runs it (the whole default demo, then it serves): its resident set size once it serves, and after
// a search. Then `altmoe serve` (its own process) on a real catalog (the demo's drawings with
// MobileNetV2 and Universal Sentence Encoder vectors): fresh, after a first text search, at the end
// of a training run started through the API (its child process included in the peak), and idle
// after it. Writes bench/results/memory.json. Targets: under 500 MB serving after the demo, and
// idle after a training run. Each point is watched for a while, one sample a second: a server's
// resident set rises while its search thread warms (graphs built as bytes, a gallery mapped) and
// falls over the next tens of seconds as that garbage is collected, so one sample lands anywhere on
// that slope. Each point reports the peak it saw and where it settled (the median of its last 5 samples).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { DEMO_BUDGET_SECONDS, DEMO_ITEMS, DEMO_TEXT_ENCODER, runDemo } from '../src-main/core/demo/demo.ts';
import { SEARCH_IDLE_MS } from '../src-main/core/search/search-client.ts';
import type { JobInfo } from '../src-shared/api.ts';

const ITEMS = Number(process.env.MEMORY_ITEMS ?? 1000);
const DEMO_ITEMS_RUN = Number(process.env.MEMORY_DEMO_ITEMS ?? DEMO_ITEMS);
const DEMO_BUDGET_RUN = Number(process.env.MEMORY_DEMO_BUDGET ?? DEMO_BUDGET_SECONDS);
const BUDGET = Number(process.env.MEMORY_BUDGET ?? 60);
const BIN = path.resolve(import.meta.dirname, '../bin/altmoe.js');

/** Resident set of a process in MB; 0 for one that has just exited (a zombie has no VmRSS line, a reaped one no file). */
const rssMb = (pid: number): number => {
  let status = '';
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process's resident set sampled once a second for `seconds`: the highest and where it settled (median of the last 5). */
async function watch(pid: number, seconds: number): Promise<{ peak: number; settled: number }> {
  const samples: number[] = [];
  for (let i = 0; i < seconds; i++) {
    samples.push(rssMb(pid));
    await sleep(1000);
  }
  const last = samples.slice(-5).sort((x, y) => x - y);
  return { peak: Math.max(...samples), settled: last[Math.floor(last.length / 2)]! };
}
/** Seconds each point is watched: long enough for the warm-up's garbage to be collected (measured: about 30 s). */
const WATCH_S = Number(process.env.MEMORY_WATCH_S ?? 40);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A spawned CLI that serves: its pid once it printed its address (the JSON line with the URL), and a caller of its API. */
async function serving(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ pid: number; kill: () => void; call: <T>(channel: string, payload?: unknown) => Promise<T> }> {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const started = await new Promise<{ port: number; token: string }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) resolve(JSON.parse(line) as { port: number; token: string });
    });
    child.on('exit', (code) => reject(new Error(`altmoe ${args[0]} exited (${code})`)));
  });
  const call = async <T>(channel: string, payload?: unknown): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${started.port}/api/${channel}`, { method: 'POST', headers: { authorization: `Bearer ${started.token}`, 'content-type': 'application/json' }, body: payload === undefined ? '' : JSON.stringify(payload) });
    const body = (await res.json()) as { ok: boolean; result: T; error?: string };
    if (!body.ok) throw new Error(`${channel}: ${body.error}`);
    return body.result;
  };
  return { pid: child.pid!, kill: () => child.kill('SIGINT'), call };
}

/** `altmoe demo` with its defaults, then serving: the memory a newcomer's server keeps. */
async function demoServing(): Promise<Record<string, number>> {
  const demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-memory-demo-'));
  try {
    process.stderr.write(`altmoe demo --items ${DEMO_ITEMS_RUN} --budget ${DEMO_BUDGET_RUN} (then it serves)...\n`);
    const t0 = performance.now();
    const demo = await serving(['demo', '--items', String(DEMO_ITEMS_RUN), '--budget', String(DEMO_BUDGET_RUN), '--catalog', path.join(demoDir, 'demo.db'), '--port', String(await freePort())]);
    const seconds = (performance.now() - t0) / 1000;
    const served = await watch(demo.pid, WATCH_S);
    await demo.call('search:query', { query: { text: 'a red apple on a table' }, to: ['image', 'text'], k: 20 });
    const searched = await watch(demo.pid, WATCH_S);
    demo.kill();
    return { demo_seconds: seconds, serving_after_demo: served.settled, serving_after_demo_peak: served.peak, after_demo_search: searched.settled, after_demo_search_peak: searched.peak };
  } finally {
    fs.rmSync(demoDir, { recursive: true, force: true });
  }
}

const demoSamples = await demoServing();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-memory-bench-'));
const file = path.join(dir, 'catalog.db');
try {
  // The demo catalog is built once into bench/data/ (ignored by git) and copied: embedding takes minutes.
  const cached = path.resolve(import.meta.dirname, 'data', `memory-${ITEMS}-${DEMO_TEXT_ENCODER}.db`);
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

  const server = await serving(['serve', '--catalog', file, '--port', String(await freePort())], { ...process.env, ...(process.env.MEMORY_MALLOC ? { MALLOC_ARENA_MAX: process.env.MEMORY_MALLOC } : {}) });
  const call = server.call;
  const pid = server.pid!;
  const samples: Record<string, number> = {};
  await call('catalog:stats');
  const fresh = await watch(pid, WATCH_S);
  [samples.fresh, samples.fresh_peak] = [fresh.settled, fresh.peak];
  const t0 = performance.now();
  await call('search:query', { query: { text: 'a red apple on a table' }, to: ['image', 'text'], k: 20 });
  const firstSearchMs = performance.now() - t0;
  const searched = await watch(pid, WATCH_S);
  [samples.after_search, samples.after_search_peak] = [searched.settled, searched.peak];

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
  // Idle a while with nothing asked (the server keeps its search thread warm; SEARCH_IDLE_MS is
  // what a one-off user's thread would wait before it is let go).
  await sleep(SEARCH_IDLE_MS + 10_000);
  samples.idle_after_training = rssMb(pid);
  await call('search:query', { query: { text: 'a red apple on a table' }, to: ['image', 'text'], k: 20 });
  const through = await watch(pid, WATCH_S);
  [samples.after_search_through_run, samples.after_search_through_run_peak] = [through.settled, through.peak];
  server.kill();

  const round = (x: number) => Math.round(x);
  const out = {
    benchmark: `altmoe serve resident set size (MB): the server process (engine, search worker thread), each point where it settled over ${WATCH_S} s (the median of its last 5 one-second samples; *_peak: the highest sample); training_peak adds its training child process`,
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 1024 ** 3) },
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
    demo: { request: `altmoe demo --items ${DEMO_ITEMS_RUN} --budget ${DEMO_BUDGET_RUN}, then serving`, seconds: round(demoSamples.demo_seconds!) },
    catalog: { drawings: ITEMS, encoders: ['mobilenet (image, 1280-d)', 'use (text, 512-d, Universal Sentence Encoder lite)'] },
    training: { request: 'train:start with the defaults (auto preset) on image:text', budget_seconds: BUDGET },
    first_search_ms: round(firstSearchMs),
    rss_mb: Object.fromEntries(Object.entries({ ...Object.fromEntries(Object.entries(demoSamples).filter(([k]) => k !== 'demo_seconds')), ...samples }).map(([k, v]) => [k, round(v)])),
    target_mb: { serving_after_demo: 500, idle_after_training: 500 },
    met: demoSamples.serving_after_demo! < 500 && samples.idle_after_training! < 500,
  };
  fs.mkdirSync(path.resolve(import.meta.dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.resolve(import.meta.dirname, 'results/memory.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out, null, 2));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
