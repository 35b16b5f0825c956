// npm run bench:encoders — quality by encoder on the same openclipart data and splits as bench:curve:
// every image encoder (MobileNetV2, InceptionV3) x every text encoder (GloVe, Universal Sentence
// Encoder lite) at 1000 and 4000 training pairs, 3 seeds, the default (auto) run and every tuned
// training-free baseline on test; and image -> image "more like this" precision@10, a neighbour
// counting as relevant when it comes from the same openclipart category folder (animals, food, ...).
// All combinations train and test on the same pairs (titles with a GloVe word, as GloVe needs).
// Then the same for sentences: the spoken Asterisk prompts' transcripts with each text encoder.
// Each combination runs bench/curve.bench.ts (its two workers) with CURVE_ENCODERS set; the auto
// run's budget is ENCODERS_BUDGET seconds (default 60: the full 300 s default would take hours here).
// Writes bench/results/encoders.json.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { clipartCatalog, CLIPART_ENCODERS, type ClipartImageEncoder, type ClipartTextEncoder } from './clipart.ts';

const IMAGE: ClipartImageEncoder[] = ['mobilenet', 'inception'];
const TEXT: ClipartTextEncoder[] = ['glove', 'use'];
const SIZES = process.env.ENCODERS_SIZES ?? '1000,4000';
const SEEDS = process.env.ENCODERS_SEEDS ?? '1,2,3';
const BUDGET = process.env.ENCODERS_BUDGET ?? '60';
const DATA = path.resolve(import.meta.dirname, 'data');
const RESULTS = path.resolve(import.meta.dirname, 'results');
const K = 10;

/** Mean precision@10 over the test images, neighbours drawn from every image of the catalog. */
function moreLikeThis(file: string, encoder: string): { precision_at_10: number; chance: number; queries: number; pool: number } {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT i.path AS path, e.vector AS vector, (SELECT p.split FROM pairs p WHERE p.a_item_id = i.id OR p.b_item_id = i.id LIMIT 1) AS split
         FROM embeddings e JOIN items i ON i.id = e.item_id JOIN encoders n ON n.id = e.encoder_id WHERE n.name = ? AND i.modality = 'image' ORDER BY i.id`,
      )
      .all(encoder) as { path: string; vector: Buffer; split: string | null }[];
    const category = rows.map((r) => r.path.split('/')[0]!);
    const dim = rows[0]!.vector.byteLength / 4;
    const unit = rows.map((r) => {
      const v = new Float32Array(r.vector.buffer.slice(r.vector.byteOffset, r.vector.byteOffset + r.vector.byteLength));
      const n = Math.hypot(...v) || 1;
      return v.map((x) => x / n);
    });
    const queries = rows.map((_, i) => i).filter((i) => rows[i]!.split === 'test');
    let hits = 0;
    for (const q of queries) {
      const scores = unit.map((v, j) => {
        if (j === q) return -Infinity;
        let d = 0;
        for (let t = 0; t < dim; t++) d += v[t]! * unit[q]![t]!;
        return d;
      });
      const top = scores
        .map((s, j) => [s, j] as const)
        .sort((a, b) => b[0] - a[0])
        .slice(0, K);
      hits += top.filter(([, j]) => category[j] === category[q]).length;
    }
    const counts = new Map<string, number>();
    for (const c of category) counts.set(c, (counts.get(c) ?? 0) + 1);
    const chance = queries.reduce((s, q) => s + (counts.get(category[q]!)! - 1) / (rows.length - 1), 0) / queries.length;
    return { precision_at_10: +((100 * hits) / (K * queries.length)).toFixed(2), chance: +(100 * chance).toFixed(2), queries: queries.length, pool: rows.length };
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const info = await clipartCatalog(DATA, 6500, { image: IMAGE, text: TEXT });
  const similarity = Object.fromEntries(IMAGE.map((e) => [e, moreLikeThis(info.file, e)]));
  console.error(JSON.stringify(similarity));
  // Each combination's result stays in bench/data (ignored by git): a rerun after a failure resumes.
  const out = path.join(DATA, 'encoders-runs');
  fs.mkdirSync(out, { recursive: true });
  /** One combination through bench/curve.bench.ts (kept in bench/data/encoders-runs: a rerun resumes). */
  const runCombo = (name: string, env: Record<string, string>): { sizes: Record<string, unknown>[]; runs: unknown[]; total_seconds: number } => {
    console.error(`== ${name}`);
    const file = path.join(out, `${name}.json`);
    if (!fs.existsSync(file)) {
      const r = spawnSync(process.execPath, [...process.execArgv, path.join(import.meta.dirname, 'curve.bench.ts')], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, CURVE_PAIRS_OF: 'glove', CURVE_SEEDS: SEEDS, CURVE_LAPTOP_STEPS: '0', CURVE_RESULTS: out, CURVE_OUT: name, ...env },
      });
      if (r.status !== 0) throw new Error(`${name}: curve run exited ${r.status}`);
    }
    return JSON.parse(fs.readFileSync(file, 'utf8')) as { sizes: Record<string, unknown>[]; runs: unknown[]; total_seconds: number };
  };
  // Every combination on the same pairs: those whose caption has a GloVe vector (a known word).
  const combos: Record<string, unknown>[] = [];
  for (const image of IMAGE) {
    for (const text of TEXT) {
      const curve = runCombo(`${image}-${text}`, { CURVE_ENCODERS: `${image}:${text}`, CURVE_SIZES: SIZES, CURVE_BUDGET: BUDGET });
      combos.push({ image, text, sizes: curve.sizes, runs: curve.runs, seconds: curve.total_seconds });
    }
  }
  // Sentences rather than titles: the spoken prompts' transcripts, with the speech encoder.
  const sentences: Record<string, unknown>[] = [];
  for (const text of TEXT) {
    const curve = runCombo(`prompts-speech-${text}`, { CURVE_SOURCE: 'prompts', CURVE_AUDIO_ENCODER: 'speech', CURVE_ENCODERS: `speech:${text}`, CURVE_SIZES: '100,200,450', CURVE_BUDGET: '30' });
    sentences.push({ audio: 'speech', text, sizes: curve.sizes, runs: curve.runs, seconds: curve.total_seconds });
  }
  const result = {
    benchmark: 'quality by encoder: cross-modal test recall for every image x text encoder, and image -> image precision@10',
    date: new Date().toISOString(),
    data: `openclipart-svg (Debian): ${info.drawn} titled drawings drawn with seed 1; ${info.splits}; the same catalog and splits as bench:curve`,
    encoders: Object.fromEntries(Object.entries(CLIPART_ENCODERS).map(([k, v]) => [k, v.describe])),
    methods: {
      auto: `the default run (preset auto) with a ${BUDGET} s budget for its trials: Alt-MoE trials, then the ensemble best on val`,
      ridge: 'ridge map, lambda on val',
      cca: 'regularised CCA, regulariser / components / scaling on val',
      knn: 'nearest neighbours through the train pairs, k / weighting on val',
      asif: 'ASIF relative representations, k / power on val',
      chance: 'random ranking',
    },
    more_like_this: {
      what: `each test image queries all ${info.drawn} images by cosine of the raw encoder vectors; a neighbour is relevant when it comes from the same top-level openclipart folder; chance = the expected share of same-folder images`,
      results: similarity,
    },
    combinations: combos,
    sentences: {
      what: "Debian's Asterisk prompts (spoken sentences) with their transcripts: the speech encoder for audio, each text encoder for the transcripts; i2t = audio -> text; auto with a 30 s budget; 100 / 200 / 450 training pairs",
      combinations: sentences,
    },
    total_seconds: Math.round((performance.now() - t0) / 1000),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}`,
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
  };
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'encoders.json'), `${JSON.stringify(result, null, 2)}\n`);
  for (const c of [...combos, ...sentences]) {
    for (const s of c.sizes as { pairs: number; [m: string]: unknown }[]) {
      const cell = (m: string) => (s[m] as { rsum: { mean: number; std: number } } | undefined)?.rsum;
      console.log(`${String(c.image ?? c.audio)} x ${String(c.text)} @${s.pairs}: ${['auto', 'ridge', 'cca', 'knn', 'asif', 'chance'].map((m) => `${m} ${cell(m)?.mean}±${cell(m)?.std}`).join('  ')}`);
    }
  }
  console.log(JSON.stringify(similarity));
}

await main();
