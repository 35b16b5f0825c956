// npm run bench:embed — items/s of the full embedding pipeline (catalog read, decode, preprocess,
// inference in a worker thread, pooling, SQLite write) against bare session.run throughput of the
// same model, batch size and thread count, measured in the same run on inputs prepared beforehand.
// Two workloads: JPEG photos through a ViT-like image encoder, captions through a text encoder.
// Writes bench/results/embed.json (top-level fields: the image workload).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { importDataset } from '../src-main/core/datasets/import.ts';
import { DEFAULT_BATCH, runEmbedJob } from '../src-main/core/encoders/embed-job.ts';
import { createPreprocessor, type EncoderInput } from '../src-main/core/encoders/preprocess.ts';
import { addEncoder, encoderSpec } from '../src-main/core/encoders/registry.ts';
import { openEncoderSession, runEncoder } from '../src-main/core/encoders/run-encoder.ts';
import { mulberry32 } from '../src-main/core/util/rng.ts';
import { writeImage } from '../test/encoders/media.ts';
import { makeImageEncoder, makeTextEncoder, WORDS } from '../test/encoders/tiny-encoders.ts';
import type { Provider } from '../src-main/core/onnx/runtime.ts';
import { median } from './stats.ts';

const BATCH = Number(process.env.EMBED_BATCH ?? DEFAULT_BATCH);
// Timings on a small shared machine wander by 10-20 %: bare and pipeline runs alternate in pairs,
// and the ratio is the median of the pairs' ratios (each pair shares the machine's state of the moment).
const REPEATS = Number(process.env.EMBED_REPEATS ?? 5);
const IMAGES = Number(process.env.EMBED_IMAGES ?? 256);
const CAPTIONS = Number(process.env.EMBED_CAPTIONS ?? 4096);
const THREADS = Number(process.env.EMBED_THREADS ?? os.availableParallelism());
const RESULTS = path.resolve(import.meta.dirname, process.env.EMBED_OUT ?? 'results/embed.json');
// bench:gpu runs this with EMBED_PROVIDER=webgpu (default: the CPU).
const PROVIDER = (process.env.EMBED_PROVIDER ?? 'cpu') as Provider;

interface Workload {
  items: number;
  /** Steady state: items / (job time - startup); the startup (model check, worker start) is below. */
  pipeline_items_per_s: number;
  pipeline_items_per_s_incl_startup: number;
  startup_s: number;
  bare_items_per_s: number;
  /** Median over the alternating pairs of pipeline / bare. */
  ratio: number;
  /** Median pipeline / median bare, for comparison. */
  ratio_of_medians: number;
  runs: { bare: number[]; pipeline: number[] };
}

async function bare(encoderName: string, catalog: Catalog, inputs: EncoderInput[]): Promise<number> {
  const spec = encoderSpec(catalog.encoders.get(encoderName)!);
  const pre = await createPreprocessor(spec.dir, spec.modality, spec.inputs);
  const batches = [];
  for (let i = 0; i < inputs.length; i += BATCH) batches.push(await pre.prepare(inputs.slice(i, i + BATCH)));
  const session = await openEncoderSession(path.join(spec.dir, spec.onnxFile), { threads: THREADS, provider: PROVIDER, onWarning: (m) => console.error(m) });
  await runEncoder(session, spec, batches[0]!); // warm-up, as the pipeline's probe/first batch
  const t0 = performance.now();
  for (const b of batches) await runEncoder(session, spec, b);
  const secs = (performance.now() - t0) / 1000;
  await session.release();
  return inputs.length / secs;
}

async function pipeline(catalog: Catalog, encoder: string): Promise<{ steady: number; total: number; startup: number }> {
  const r = await runEmbedJob(catalog, { encoder, batchSize: BATCH, threads: THREADS, provider: PROVIDER, onWarning: (m) => console.error(m) });
  if (r.failed > 0) throw new Error(`${r.failed} items failed: ${r.failures[0]?.error}`);
  return { steady: r.embedded / (r.seconds - r.startupSeconds), total: r.embedded / r.seconds, startup: r.startupSeconds };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-bench-embed-'));
  const catalog = Catalog.open(path.join(dir, 'catalog.db'));
  try {
    const rand = mulberry32(5);
    const media = path.join(dir, 'media');
    const captions: string[] = [];
    for (let i = 0; i < IMAGES; i++) {
      const rgb: [number, number, number] = [Math.floor(rand() * 256), Math.floor(rand() * 256), Math.floor(rand() * 256)];
      await writeImage(path.join(media, `img${i}.jpg`), rgb, [640, 480], 'jpeg');
    }
    for (let i = 0; i < CAPTIONS; i++) captions.push(Array.from({ length: 6 + Math.floor(rand() * 12) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' '));
    const perImage = Math.ceil(CAPTIONS / IMAGES);
    for (let i = 0; i < IMAGES; i++) fs.writeFileSync(path.join(media, `img${i}.txt`), captions.slice(i * perImage, (i + 1) * perImage).join('\n'));
    await importDataset(catalog, 'folder', media, { name: 'bench' });
    await addEncoder(catalog, makeImageEncoder(path.join(dir, 'vit'), { size: 224, patch: 16, dim: 384, layers: 12 }), { name: 'vit' });
    // Text at a real small sentence encoder's compute (MiniLM-L6: 6 layers, dim 384), and a light
    // variant (one dim x dim layer per "layer") that shows where the pipeline's own costs dominate.
    await addEncoder(catalog, makeTextEncoder(path.join(dir, 'txt'), { dim: 384, layers: 5, ffn: true, seqLimit: 64 }), { name: 'txt' });
    await addEncoder(catalog, makeTextEncoder(path.join(dir, 'txt-light'), { dim: 384, layers: 6, seqLimit: 64 }), { name: 'txt-light' });

    const results: Record<string, Workload> = {};
    const imageInputs: EncoderInput[] = Array.from({ length: IMAGES }, (_, i) => ({ file: path.join(media, `img${i}.jpg`) }));
    const textInputs: EncoderInput[] = catalog.db.prepare<[], { text: string }>("SELECT text FROM items WHERE modality = 'text' ORDER BY id").all().map((r) => ({ text: r.text }));
    const workloads = [['image', 'vit', imageInputs], ['text', 'txt', textInputs], ['text_light', 'txt-light', textInputs]] as const;
    for (const [name, encoder, inputs] of workloads.filter(([n]) => !process.env.EMBED_ONLY || process.env.EMBED_ONLY.split(',').includes(n))) {
      const bares: number[] = [];
      const pipes: { steady: number; total: number; startup: number }[] = [];
      for (let r = 0; r < REPEATS; r++) {
        bares.push(await bare(encoder, catalog, inputs));
        catalog.write(() => catalog.db.prepare('DELETE FROM embeddings WHERE encoder_id = ?').run(catalog.encoders.get(encoder)!.id));
        pipes.push(await pipeline(catalog, encoder));
      }
      const bareRate = median(bares);
      const ratio = median(pipes.map((p, i) => p.steady / bares[i]!));
      const pipe = [...pipes].sort((a, b) => a.steady - b.steady)[Math.floor(pipes.length / 2)]!;
      results[name] = { items: inputs.length, pipeline_items_per_s: pipe.steady, pipeline_items_per_s_incl_startup: pipe.total, startup_s: pipe.startup, bare_items_per_s: bareRate, ratio, ratio_of_medians: pipe.steady / bareRate, runs: { bare: bares, pipeline: pipes.map((p) => p.steady) } };
      console.log(`${name}: pipeline ${pipe.steady.toFixed(1)} items/s (${pipe.total.toFixed(1)} with ${pipe.startup.toFixed(2)}s startup), bare session.run ${bareRate.toFixed(1)} items/s (medians of ${REPEATS}); ratio ${ratio.toFixed(3)} (median of pairs), ${(pipe.steady / bareRate).toFixed(3)} (of medians)`);
    }
    const out = {
      ...results.image,
      batch: BATCH,
      provider: PROVIDER,
      repeats: REPEATS,
      threads: THREADS,
      workloads: results,
      notes: 'image: 640x480 JPEG -> 224x224 ViT-like with ViT-S/16-sized compute (16px patches, dim 384, 12 MLP blocks, ~5.5 GFLOP/image, about DINOv2-S); text: random captions -> 6 layers at dim 384, each a dim x dim layer and a 4x FFN (9 dim^2 per token and layer, 3/4 of MiniLM-L6); text_light: 7 dim x dim layers only (1/12 of MiniLM-L6 per layer), where tokenising is a large share. Bare = session.run on batches prepared beforehand, same thread count.',
      machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}`,
      date: new Date().toISOString(),
    };
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    catalog.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
