// npm run bench:train — steps per second of one training step (forward, backward, AdamW with
// clipping) of a 2-layer MoE block (d=512, 8 experts, top-2, hidden 1024, batch 256) in our ONNX
// engine and in PyTorch (Debian's python3-torch, bench/train_torch.py) on the same machine in the
// same run. Each side gets the faster of 1 and 2 threads. Writes bench/results/train.json.
// ours_steps_per_s / torch_steps_per_s: medians over the rounds; ratio: the median of the rounds' ratios.
import { spawnSync } from 'node:child_process';
import { referenceEnv, referenceEnvRecord, unoptimisedBlas } from './python-env.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32, normal } from '../src-main/core/util/rng.ts';
import type { RegressionConfig } from '../src-main/core/model/regression.ts';
import { train } from '../src-main/core/train/trainer.ts';
import type { Provider } from '../src-main/core/onnx/runtime.ts';
import { median, round } from './stats.ts';
import { buildModel } from '../src-main/core/model/build.ts';

const MODEL: RegressionConfig = { kind: 'regression', block: 'moe', inDim: 512, outDim: 512, dim: 512, hidden: 1024, layers: 2, experts: 8, topK: 2, dropout: 0, balanceWeight: 0.01 };
const BATCH = 256;
// Our engine runs several steps per ONNX Runtime run (stepsPerRun 'auto', as the app does), so
// progress events arrive in bursts, one per run; the clock starts at the end of the first run
// that ends after WARMUP steps (past session creation and the first, timing, run).
const WARMUP = 16;
const STEPS = Number(process.env.BENCH_STEPS ?? 64);
const RESULTS = path.resolve(import.meta.dirname, 'results/train.json');
const provider = (process.env.BENCH_PROVIDER ?? 'cpu') as Provider;

async function ours(threads: number): Promise<{ stepsPerS: number; provider: string; timedSteps: number; stepsPerRun: number }> {
  const rand = mulberry32(1);
  const rows = 4096;
  const x = Float32Array.from({ length: rows * 512 }, () => normal(rand));
  const y = Float32Array.from({ length: rows * 512 }, () => normal(rand));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-bench-train-'));
  const seen: { step: number; at: number }[] = [];
  let used = 'cpu';
  let runs = 0;
  try {
    await train(
      buildModel,
      {
        dir,
        model: { ...MODEL },
        optimizer: { kind: 'adamw', lr: 1e-3, weightDecay: 0.01, clipNorm: 1, schedule: null },
        steps: WARMUP + STEPS,
        batchSize: BATCH,
        seed: 1,
        threads,
        provider,
        checkpointEvery: 1_000_000,
        progressEveryMs: 0,
      },
      { train: { main: { x: { dtype: 'float32', shape: [rows, 512], data: x }, y: { dtype: 'float32', shape: [rows, 512], data: y } } } },
      (e) => {
        if (e.type === 'started') used = e.provider;
        if (e.type === 'progress') seen.push({ step: e.step, at: performance.now() });
        if (e.type === 'done') runs = e.runs;
        if (e.type === 'warning') console.error(e.message);
      },
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Ends of runs: the last event of each burst (a run's steps are reported together).
  const ends = seen.filter((e, i) => i === seen.length - 1 || seen[i + 1]!.at - e.at > 5);
  const start = ends.find((e) => e.step >= WARMUP);
  const end = ends.at(-1)!;
  if (!start || start === end) throw new Error('too few steps to time: raise BENCH_STEPS');
  return { stepsPerS: ((end.step - start.step) * 1000) / (end.at - start.at), provider: used, timedSteps: end.step - start.step, stepsPerRun: (WARMUP + STEPS) / runs };
}

function torch(threads: number): { steps_per_s: number; torch: string; blas: Record<string, unknown> } | { error: string } {
  const cfg = { ...MODEL, batch: BATCH, warmup: WARMUP, steps: STEPS };
  const r = spawnSync('/usr/bin/python3', [path.join(import.meta.dirname, 'train_torch.py'), JSON.stringify(cfg), String(threads)], { encoding: 'utf8', env: referenceEnv() });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'python3 failed').trim().split('\n').at(-1)! };
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

const result: Record<string, unknown> = {
  benchmark: 'train',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
  model: { ...MODEL, batch: BATCH, optimizer: 'adamw + clip 1.0' },
  measured_steps: STEPS,
  warmup_steps: WARMUP,
};
// This shared 2-core machine's speed wanders by tens of percent between minutes, so both sides are
// measured in alternating rounds; each round's ratio compares figures taken minutes apart at most,
// and the reported ratio is the median of the rounds' ratios.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const rounds: { ours: Record<string, number>; torch: Record<string, number>; ratio: number | null }[] = [];
for (let k = 0; k < ROUNDS; k++) {
  const oursRuns: Record<string, number> = {};
  for (const t of [1, 2]) {
    const r = await ours(t);
    oursRuns[`threads_${t}`] = round(r.stepsPerS);
    result.provider = r.provider;
    console.error(`round ${k + 1}: ours (${r.provider}, ${t} thread(s)): ${r.stepsPerS.toFixed(2)} steps/s over ${r.timedSteps} steps, ${r.stepsPerRun.toFixed(1)} steps per run`);
  }
  const torchRuns: Record<string, number> = {};
  for (const t of [1, 2]) {
    const r = torch(t);
    if ('error' in r) {
      console.error(`torch reference failed: ${r.error} (install python3-torch and libopenblas0-pthread)`);
      result.torch_error = r.error;
      break;
    }
    const slowBlas = unoptimisedBlas(r.blas);
    if (slowBlas) {
      console.error(slowBlas);
      result.torch_error = slowBlas;
      result.torch_env = { ...referenceEnvRecord(), blas: r.blas };
      break;
    }
    torchRuns[`threads_${t}`] = round(r.steps_per_s);
    result.torch_version = r.torch;
    result.torch_env = { ...referenceEnvRecord(), blas: r.blas };
    console.error(`round ${k + 1}: torch (${t} thread(s)): ${r.steps_per_s.toFixed(2)} steps/s`);
  }
  const best = (runs: Record<string, number>): number | null => (Object.keys(runs).length > 0 ? Math.max(...Object.values(runs)) : null);
  const torchBest = best(torchRuns);
  rounds.push({ ours: oursRuns, torch: torchRuns, ratio: torchBest ? round(best(oursRuns)! / torchBest) : null });
  if (result.torch_error) break;
}
result.rounds = rounds;
result.ours_steps_per_s = median(rounds.map((r) => Math.max(...Object.values(r.ours))));
result.torch_steps_per_s = result.torch_error ? null : median(rounds.map((r) => Math.max(...Object.values(r.torch))));
result.ratio = result.torch_error ? null : median(rounds.map((r) => r.ratio!));
fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
fs.writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));

