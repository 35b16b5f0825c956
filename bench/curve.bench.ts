// npm run bench:curve — the learning curve: test recall of the default (auto) run, the fixed laptop
// Alt-MoE run and every tuned training-free baseline, at 250 ... 4000 training pairs of real data
// (Debian's openclipart titles, MobileNetV2 images and GloVe titles from npm; bench/clipart.ts),
// with fixed val and test splits, 3 seeds each (the seed draws the training subset too). Writes
// bench/results/curve.json and curve.svg. Two worker processes (one ORT thread each) share the seeds.
// CURVE_SOURCE=prompts runs the same on audio and captions instead (Debian's Asterisk prompts,
// Basic Pitch and GloVe; bench/prompts.ts): npm run bench:curve-audio -> curve-audio.json, and with
// the speech encoder (CURVE_AUDIO_ENCODER=speech) npm run bench:curve-speech -> curve-audio-speech.json. There
// the i2t_* fields are audio -> text and t2i_* text -> audio.
// CURVE_ENCODERS=inception:use picks the media and text encoders (default mobilenet:glove for clipart,
// AUDIO_ENCODER:glove for the prompts), CURVE_PAIRS_OF=glove keeps only the pairs whose caption also
// has a vector of that encoder (so encoders are compared on the same items), CURVE_LAPTOP_STEPS=0
// leaves the fixed laptop run out, CURVE_RESULTS writes elsewhere (bench:encoders uses them all).
// npm run bench:curve-use is the same curve with the sentence encoder for the titles, on the same
// pairs (CURVE_PAIRS_OF=glove) -> curve-use.json.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { trainConnector } from '../src-main/core/runs/run.ts';
import { type PairEvaluation } from '../src-main/core/runs/events.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { clipartCatalog, CLIPART_ENCODERS, type ClipartImageEncoder, type ClipartTextEncoder } from './clipart.ts';
import { AUDIO_ENCODERS, promptsCatalog, type AudioEncoderKind } from './prompts.ts';
import { AUTO } from '../src-main/core/model/presets.ts';
import { runConfig, servedFor } from '../src-main/core/runs/config.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { evalSetOf } from '../src-main/core/runs/pair-data.ts';
import { evaluateServed } from '../src-main/core/model/served.ts';
import { NO_MEMBERS, type MemberName } from '../src-main/core/model/ensemble.ts';
import { curveSvg } from './curve-plot.ts';

const AUDIO = process.env.CURVE_SOURCE === 'prompts';
const SIZES = (process.env.CURVE_SIZES ?? (AUDIO ? '100,200,450' : '250,500,1000,2000,4000')).split(',').map(Number);
const PAIR = AUDIO ? (['audio', 'text'] as const) : (['image', 'text'] as const);
const KEY = `${PAIR[0]}-${PAIR[1]}`;
/** CURVE_AUDIO_ENCODER=speech: the speech encoder instead of Basic Pitch for the prompts. */
const AUDIO_ENCODER = (process.env.CURVE_AUDIO_ENCODER ?? 'basic-pitch') as AudioEncoderKind;
if (!(AUDIO_ENCODER in AUDIO_ENCODERS)) throw new Error(`CURVE_AUDIO_ENCODER must be one of ${Object.keys(AUDIO_ENCODERS).join(', ')}`);
const ENCODER_NAMES = (process.env.CURVE_ENCODERS ?? (AUDIO ? `${AUDIO_ENCODER}:glove` : 'mobilenet:glove')).split(':') as [ClipartImageEncoder, ClipartTextEncoder];
const PAIRS_OF = process.env.CURVE_PAIRS_OF;
const dataset = () =>
  AUDIO ? promptsCatalog(DATA, AUDIO_ENCODER, { sentences: ENCODER_NAMES[1] === 'use' }) : clipartCatalog(DATA, 6500, { image: [ENCODER_NAMES[0]], text: [ENCODER_NAMES[1], ...(PAIRS_OF === 'use' || PAIRS_OF === 'glove' ? [PAIRS_OF as ClipartTextEncoder] : [])] });
const SEEDS = (process.env.CURVE_SEEDS ?? '1,2,3').split(',').map(Number);
const BUDGET = Number(process.env.CURVE_BUDGET ?? AUTO.budgetSeconds);
const OUT = process.env.CURVE_OUT ?? (AUDIO ? (AUDIO_ENCODER === 'basic-pitch' ? 'curve-audio' : `curve-audio-${AUDIO_ENCODER}`) : 'curve');
/** The fixed laptop run, shortened to fit the benchmark in CI-like time (its preset trains 3000). */
const LAPTOP_STEPS = Number(process.env.CURVE_LAPTOP_STEPS ?? 1000);
const DATA = path.resolve(import.meta.dirname, 'data');
const RESULTS = process.env.CURVE_RESULTS ?? path.resolve(import.meta.dirname, 'results');
const METHODS = ['auto', 'auto_no_qbnorm', 'connector', 'connector_forward', 'altmoe', 'ridge', 'cca', 'knn', 'asif', 'chance'] as const;
const BASELINE_METHODS = ['ridge', 'cca', 'knn', 'asif'] as const;
type Method = (typeof METHODS)[number];
type Row = { i2t_r1: number; i2t_r5: number; i2t_r10: number; t2i_r1: number; t2i_r5: number; t2i_r10: number; rsum: number };

const row = (r: CrossModalResult): Row => ({
  i2t_r1: 100 * r.forward.r1,
  i2t_r5: 100 * r.forward.r5,
  i2t_r10: 100 * r.forward.r10,
  t2i_r1: 100 * r.backward.r1,
  t2i_r5: 100 * r.backward.r5,
  t2i_r10: 100 * r.backward.r10,
  rsum: r.rsum,
});

function chance(p: PairEvaluation): Row {
  const c = (k: number, n: number) => 100 * Math.min(1, k / n);
  const r = { i2t_r1: c(1, p.captions), i2t_r5: c(5, p.captions), i2t_r10: c(10, p.captions), t2i_r1: c(1, p.items), t2i_r5: c(5, p.items), t2i_r10: c(10, p.items) };
  return { ...r, rsum: Object.values(r).reduce((a, b) => a + b, 0) };
}

/** One worker: its (size, seed) jobs ("size:seed,..."); prints one JSON line per job. */
async function worker(jobs: [number, number][]): Promise<void> {
  const info = await dataset();
  for (const [pairs, seed] of jobs) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-curve-'));
    const file = path.join(work, 'c.db');
    fs.copyFileSync(info.file, file);
    const catalog = Catalog.open(file, { create: false });
    try {
      if (PAIRS_OF && PAIRS_OF !== ENCODER_NAMES[1]) {
        // The same pairs as the other encoder's runs: captions it has no vector for leave this one's too.
        catalog.write(() =>
          catalog.db
            .prepare(
              `DELETE FROM embeddings WHERE encoder_id = (SELECT id FROM encoders WHERE name = ?) AND item_id NOT IN (SELECT e.item_id FROM embeddings e JOIN encoders n ON n.id = e.encoder_id WHERE n.name = ?)`,
            )
            .run(ENCODER_NAMES[1], PAIRS_OF),
        );
      }
      const common = {
        pairs: [[PAIR[0], PAIR[1]]] as [typeof PAIR extends readonly [infer A, infer B] ? [A, B] : never],
        runsDir: path.join(work, 'runs'),
        trainPairs: pairs,
        seed,
        threads: 1,
        encoders: { [PAIR[0]]: ENCODER_NAMES[0], text: ENCODER_NAMES[1] },
      };
      const t0 = performance.now();
      // The default run, as `altmoe train --pairs image:text` makes it (only the budget is set).
      const auto = await trainConnector(catalog, { ...common, budgetSeconds: BUDGET });
      const tAuto = (performance.now() - t0) / 1000;
      const laptop = LAPTOP_STEPS > 0 ? await trainConnector(catalog, { ...common, preset: 'laptop', overrides: { steps: LAPTOP_STEPS } }) : null;
      const a = auto.test[KEY]!;
      const l = laptop?.test[KEY];
      // The same run's served ensemble without QB-Norm, and its trained connector alone, on test.
      const config = runConfig(catalog, auto.runId);
      const data = await runData(catalog, config);
      const servedRun = servedFor(config, PAIR[0], PAIR[1]);
      const testSet = evalSetOf(data[0]!, 'test');
      const noQb = await evaluateServed({ ...servedRun, ensemble: { ...servedRun.ensemble, hub: undefined } }, testSet);
      // The trained connector with no training-free member: both of its directions (each query meets
      // the forward map and the gallery mapped back), and its forward map alone.
      const trainedOnly = (weights: Partial<Record<MemberName, number>>) => evaluateServed({ ...servedRun, ensemble: { ...servedRun.ensemble, weights: { ...NO_MEMBERS, ...weights }, weightsB2a: undefined, hub: undefined } }, testSet);
      const alone = await trainedOnly({ connector: 1, reverse: 1 });
      const forward = await trainedOnly({ connector: 1 });
      const out: Partial<Record<Method, Row>> = { auto: row(a.connector), auto_no_qbnorm: row(noQb), connector: row(alone), connector_forward: row(forward), ...(l ? { altmoe: row(l.connector) } : {}), ridge: row(a.baselines.ridge.result), cca: row(a.baselines.cca.result), knn: row(a.baselines.knn.result), asif: row(a.baselines.asif.result), chance: chance(a) };
      const served = auto.auto?.pairs[KEY];
      const unpaired = { [PAIR[0]]: (data[0]!.unpaired?.a.length ?? 0) / data[0]!.aDim, [PAIR[1]]: (data[0]!.unpaired?.b.length ?? 0) / data[0]!.bDim };
      console.log(JSON.stringify({ pairs, seed, test: { items: a.items, captions: a.captions }, unpaired, auto_seconds: +tAuto.toFixed(1), auto_trial: auto.auto?.trial, served: served?.weights, served_b2a: served?.weightsB2a, qbnorm: served?.hub, weighing: served?.weighing, val: { auto: served?.valScore, alone: served?.single }, results: out }));
    } finally {
      catalog.close();
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const r2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  if (process.argv[2] === '--worker') return worker(process.argv[3]!.split(',').map((j) => j.split(':').map(Number) as [number, number]));
  const t0 = performance.now();
  const info = await dataset(); // built once, before the workers share it
  // Largest sizes first, dealt to the two workers in turn, so they finish together.
  const jobs = SIZES.flatMap((p) => SEEDS.map((s) => [p, s] as const)).sort((x, y) => y[0] - x[0]);
  const groups = [jobs.filter((_, i) => i % 2 === 0), jobs.filter((_, i) => i % 2 === 1)].filter((g) => g.length > 0).map((g) => g.map(([p, s]) => `${p}:${s}`));
  const lines: string[] = [];
  await Promise.all(
    groups.map(
      (g) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, '--worker', g.join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
          let buf = '';
          child.stdout.on('data', (d: Buffer) => {
            buf += d.toString();
            for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
              const line = buf.slice(0, i).trim();
              buf = buf.slice(i + 1);
              if (line.startsWith('{')) {
                lines.push(line);
                console.error(line.slice(0, 200));
              }
            }
          });
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
        }),
    ),
  );
  const runs = lines.map((l) => JSON.parse(l) as { pairs: number; seed: number; results: Partial<Record<Method, Row>>; served?: object; qbnorm?: object; auto_trial?: number; auto_seconds: number; test: object });
  const sizes = SIZES.map((pairs) => {
    const at = runs.filter((r) => r.pairs === pairs);
    const summary: Record<string, unknown> = { pairs, seeds: at.map((r) => r.seed) };
    for (const m of METHODS.filter((k) => at[0]!.results[k])) {
      const stat: Record<string, { mean: number; std: number }> = {};
      for (const k of Object.keys(at[0]!.results[m]!) as (keyof Row)[]) stat[k] = { mean: r2(mean(at.map((r) => r.results[m]![k]))), std: r2(std(at.map((r) => r.results[m]![k]))) };
      summary[m] = stat;
    }
    summary.auto_served = at.map((r) => r.served);
    summary.auto_seconds = at.map((r) => r.auto_seconds);
    summary.qbnorm = at.map((r) => r.qbnorm);
    // Per seed on test (the weights never saw it): a method minus the best of some others, R@1 both
    // ways and RSUM, as mean and std over seeds.
    const margin = (m: Method, others: readonly Method[]) => {
      const per = at.map((r) => {
        const best = (k: keyof Row) => Math.max(...others.map((o) => r.results[o]![k]));
        return { i2t_r1: r.results[m]!.i2t_r1 - best('i2t_r1'), t2i_r1: r.results[m]!.t2i_r1 - best('t2i_r1'), rsum: r.results[m]!.rsum - best('rsum') };
      });
      return Object.fromEntries((['i2t_r1', 't2i_r1', 'rsum'] as const).map((k) => [k, { mean: r2(mean(per.map((x) => x[k]))), std: r2(std(per.map((x) => x[k]))) }]));
    };
    summary.served_minus_best_baseline = margin('auto', BASELINE_METHODS);
    // Against every single member, the trained connector alone included.
    summary.served_minus_best_member = margin('auto', [...BASELINE_METHODS, 'connector']);
    // The connector alone against the training-free methods (the second target).
    summary.connector_minus_best_baseline = margin('connector', BASELINE_METHODS);
    return summary;
  });
  const cpu = os.cpus()[0]?.model ?? 'cpu';
  const result = {
    benchmark: 'learning curve (test recall vs training pairs)',
    date: new Date().toISOString(),
    data: AUDIO
      ? `asterisk-core-sounds-en-wav + asterisk-core-sounds-en (Debian): ${info.drawn} spoken prompts with their transcripts; ${info.splits}; i2t = audio -> text, t2i = text -> audio`
      : `openclipart-svg (Debian): ${info.drawn} titled drawings drawn with seed 1; ${info.splits}; titles without a known GloVe word have no vector and are left out`,
    encoders: AUDIO
      ? { audio: AUDIO_ENCODERS[AUDIO_ENCODER].describe, text: CLIPART_ENCODERS[ENCODER_NAMES[1]].describe }
      : { image: CLIPART_ENCODERS[ENCODER_NAMES[0]].describe, text: CLIPART_ENCODERS[ENCODER_NAMES[1]].describe },
    methods: {
      auto: `the default run (preset auto, budget ${BUDGET} s for its trials, --unpaired auto): Alt-MoE trials, then the ensemble best on val, then QB-Norm per direction where it wins on val (its bank: the training items and the train split's items outside the drawn pairs, pairing unused)`,
      auto_no_qbnorm: 'the same run served without QB-Norm (its ensemble weights unchanged)',
      connector: "the same run's trained Alt-MoE connector alone, no training-free member: both of its directions at equal weights (a query's forward map against the gallery, plus the query against the gallery mapped back by the other direction)",
      connector_forward: "the same run's trained connector's forward map alone (query mapped into the gallery's space)",
      altmoe: `the fixed laptop preset (MoE, alternating, pred+cl), steps ${LAPTOP_STEPS}`,
      ridge: 'ridge map, lambda on val',
      cca: 'regularised CCA, regulariser / components / scaling on val',
      knn: 'nearest neighbours through the train pairs, k / weighting on val',
      asif: 'ASIF relative representations, k / power on val',
      chance: 'random ranking',
    },
    seeds: SEEDS,
    auto_budget_seconds: BUDGET,
    laptop_steps: LAPTOP_STEPS,
    sizes,
    runs,
    total_seconds: Math.round((performance.now() - t0) / 1000),
    machine: `${cpu} x${os.availableParallelism()}`,
    commit: (() => {
      try {
        return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
      } catch {
        return null;
      }
    })(),
  };
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, `${OUT}.json`), `${JSON.stringify(result, null, 2)}\n`);
  if (!process.env.CURVE_RESULTS) fs.writeFileSync(path.join(RESULTS, `${OUT}.svg`), curveSvg(sizes as never));
  console.log(JSON.stringify(sizes, null, 2));
}

await main();
