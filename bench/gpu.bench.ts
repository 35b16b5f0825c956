// npm run bench:gpu — the GPU check in one script, for a machine with a GPU: Alt-MoE training steps
// per second of the laptop and paper presets on WebGPU and on the CPU (same machine, same run), the
// operators ONNX Runtime ran off the GPU (the trainer's partition warnings), and bench:embed on
// WebGPU and on the CPU. Writes bench/results/gpu.json (GPU_OUT) with the machine named. Where
// WebGPU is not usable it records why and the CPU figures, and says so: those are no GPU result.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { altMoeModel, directionName, type AltMoeConfig } from '../src-main/core/model/altmoe.ts';
import { PRESETS } from '../src-main/core/model/presets.ts';
import { providersHere } from '../src-main/core/onnx/probe.ts';
import type { Provider } from '../src-main/core/onnx/runtime.ts';
import { opsWithoutWebGpuKernel } from '../src-main/core/onnx/webgpu-ops.ts';
import { buildTrainStep } from '../src-main/core/train/artifacts.ts';
import { mulberry32, normal } from '../src-main/core/util/rng.ts';
import { train } from '../src-main/core/train/trainer.ts';
import { round } from './stats.ts';
import { buildModel } from '../src-main/core/model/build.ts';

const RESULTS = path.resolve(import.meta.dirname, process.env.GPU_OUT ?? 'results/gpu.json');
const WARMUP = 8;
const PRESET_RUNS = {
  // MobileNetV2 images and GloVe words (the app's npm encoders) for laptop; the paper's 1024-d
  // DINOv2 images and 4096-d LLM text for paper.
  laptop: { modalities: { image: 1280, text: 100 }, steps: Number(process.env.GPU_LAPTOP_STEPS ?? 64) },
  paper: { modalities: { image: 1024, text: 4096 }, steps: Number(process.env.GPU_PAPER_STEPS ?? 16) },
} as const;

function gpuName(): string | null {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Steps per second of one preset on one provider, with the warnings the runs gave. WARMUP steps
 * run first; the timed run resumes from their checkpoint, and is timed from the end of its first
 * ONNX Runtime run (session start-up and first-run allocations excluded) to the end of its last.
 * Only run ends are timed: on the CPU one run covers many steps (the multi-step graph), and their
 * progress events all arrive together when it returns.
 */
async function trainRate(preset: keyof typeof PRESET_RUNS, provider: Provider): Promise<Record<string, unknown>> {
  const { modalities, steps } = PRESET_RUNS[preset];
  const p = PRESETS[preset];
  const rand = mulberry32(1);
  const rows = 4 * p.batchSize;
  const data = Object.fromEntries(Object.entries(modalities).map(([m, d]) => [m, { dtype: 'float32' as const, shape: [rows, d], data: Float32Array.from({ length: rows * d }, () => normal(rand)) }]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-bench-gpu-'));
  const warnings = new Set<string>();
  let used: string = provider;
  let parameters = 0;
  let started = 0;
  let runEnds: { step: number; at: number }[] = [];
  const model: AltMoeConfig = { kind: 'altmoe', modalities, pairs: [['image', 'text']], ...p.model };
  const run = (total: number, resume: boolean) =>
    train(
      buildModel,
      { dir, model: { ...model }, optimizer: p.optimizer, steps: total, batchSize: p.batchSize, seed: 1, provider, checkpointEvery: 1_000_000, resume, progressEveryMs: 1 },
      { train: { [directionName('image', 'text')]: data, [directionName('text', 'image')]: data } },
      (e) => {
        if (e.type === 'started') [used, parameters, started] = [e.provider, e.parameters, performance.now()];
        // With a throttle above 0 a run reports only its last step, so each event is a run's end.
        if (e.type === 'progress') runEnds.push({ step: e.step, at: performance.now() });
        if (e.type === 'warning') warnings.add(e.message);
      },
    );
  let start: { step: number; at: number };
  let end: { step: number; at: number };
  try {
    await run(WARMUP, false);
    runEnds = [];
    await run(WARMUP + steps, true);
    end = runEnds.at(-1)!;
    // Too few steps for more than one run (a smoke test): timed from the run's start instead.
    start = runEnds.length > 1 ? runEnds[0]! : { step: WARMUP, at: started };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const rate = ((end.step - start.step) * 1000) / (end.at - start.at);
  const w = [...warnings];
  console.error(`${preset} on ${provider} (ran on ${used}): ${rate.toFixed(2)} steps/s${w.length ? `; ${w.join('; ')}` : ''}`);
  return { provider_used: used, parameters, batch: p.batchSize, timed_steps: end.step - start.step, steps_per_s: round(rate), warnings: w };
}

/** bench:embed in a child process on one provider, its result file read back. */
function embed(provider: Provider): Record<string, unknown> {
  const out = path.join(os.tmpdir(), `altmoe-gpu-embed-${provider}.json`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'embed.bench.ts')], {
    encoding: 'utf8',
    env: { ...process.env, EMBED_PROVIDER: provider, EMBED_OUT: out, EMBED_REPEATS: process.env.EMBED_REPEATS ?? '3' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) return { error: `bench:embed exited with ${r.status}` };
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>;
  fs.rmSync(out, { force: true });
  return { provider: result.provider, workloads: result.workloads };
}

const providers = await providersHere();
const webgpu = providers.find((p) => p.name === 'webgpu');
const usable = webgpu?.usable === true;
if (!usable) console.error(`WebGPU is not usable here (${webgpu?.reason ?? 'not in this build'}): the figures below are CPU fallbacks, not a GPU result`);

const result: Record<string, unknown> = {
  benchmark: 'gpu',
  date: new Date().toISOString(),
  machine: { gpu: gpuName(), cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), node: process.version },
  providers,
  webgpu_usable: usable,
  train: {} as Record<string, unknown>,
};
for (const preset of Object.keys(PRESET_RUNS) as (keyof typeof PRESET_RUNS)[]) {
  // What the kernel list predicts for the graphs the trainer builds for WebGPU (dense dispatch).
  const spec = altMoeModel({ kind: 'altmoe', modalities: PRESET_RUNS[preset].modalities, pairs: [['image', 'text']], ...PRESETS[preset].model }, { dispatch: 'dense' });
  const predicted = opsWithoutWebGpuKernel(buildTrainStep(spec, spec.tasks[0]!, { optimizer: PRESETS[preset].optimizer }).model);
  const onGpu = await trainRate(preset, 'webgpu');
  const onCpu = await trainRate(preset, 'cpu');
  (result.train as Record<string, unknown>)[preset] = {
    predicted_ops_without_webgpu_kernel: predicted,
    webgpu: onGpu,
    cpu: onCpu,
    webgpu_over_cpu: round((onGpu.steps_per_s as number) / (onCpu.steps_per_s as number)),
  };
}
result.embed = { webgpu: embed('webgpu'), cpu: embed('cpu') };
fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
fs.writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
