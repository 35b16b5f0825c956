// npm run bench:demo — the full `altmoe demo` (2,000 drawings, the default 120 s budget) on this
// machine, stage by stage, then a second run that reuses it. Writes bench/results/demo.json.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { runDemo } from '../src-main/core/demo/demo.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-demo-bench-'));
const file = path.join(dir, 'demo', 'demo.db');
fs.mkdirSync(path.dirname(file));
try {
  const run = async () => {
    const c = Catalog.open(file);
    try {
      return await runDemo(c, { onProgress: (p) => process.stderr.write(`\r[${p.stage}/${p.of}] ${p.name} ${p.done ?? ''}/${p.total ?? ''} eta ${Math.round(p.etaSeconds ?? 0)}s   `) });
    } finally {
      c.close();
    }
  };
  const first = await run();
  const second = await run();
  const r2 = (x: number) => Math.round(x * 10) / 10;
  const stages = (s: Record<string, number>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, r2(v)]));
  const test = first.summary.test['image-text']!;
  const out = {
    benchmark: 'altmoe demo, full default run',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 1024 ** 3) },
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
    requested_items: 2000,
    first: { seconds: r2(first.seconds), stages: stages(first.stages) },
    second: { seconds: r2(second.seconds), stages: stages(second.stages), reused: second.reused },
    test: { items: test.items, served_rsum: r2(test.connector.rsum), baselines_rsum: Object.fromEntries(Object.entries(test.baselines).map(([k, b]) => [k, r2(b.result.rsum)])) },
    samples: first.samples,
  };
  fs.mkdirSync(path.resolve(import.meta.dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.resolve(import.meta.dirname, 'results/demo.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\n${JSON.stringify(out.first)}\n${JSON.stringify(out.second)}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
