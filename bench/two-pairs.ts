// Probe (not a product path): the default run with two pairs, image-text (the clipart curve's
// drawings and GloVe titles) and audio-text (Debian's Asterisk prompts, the speech encoder and GloVe
// transcripts), against each pair trained alone. The joined catalog is built once into bench/data/
// (ignored by git). One line per run: the chosen trial, what each pair serves, test R@1 both ways
// and RSUM of the served model and every baseline.
//   npx tsx bench/two-pairs.ts both 500 1 >> bench/experiments/two-pairs.jsonl   (modes: both, image, audio; a 4th argument: the budget in s, default 300)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { trainConnector } from '../src-main/core/runs/run.ts';
import type { Modality } from '../src-shared/types.ts';
import { clipartCatalog } from './clipart.ts';
import { addPrompts } from './prompts.ts';

const DATA = path.resolve(import.meta.dirname, 'data');
const MODES: Record<string, [Modality, Modality][]> = { both: [['image', 'text'], ['audio', 'text']], image: [['image', 'text']], audio: [['audio', 'text']] };

/** The clipart catalog with the prompts imported beside it, their sound embedded as "audio" and their transcripts by GloVe. */
async function joinedCatalog(): Promise<string> {
  const file = path.join(DATA, 'clipart-prompts.db');
  const done = path.join(DATA, 'clipart-prompts.done');
  if (fs.existsSync(done)) return file;
  const clipart = await clipartCatalog(DATA, 6500, { image: ['mobilenet'], text: ['glove'] });
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  fs.copyFileSync(clipart.file, file);
  const catalog = Catalog.open(file, { create: false });
  try {
    await addPrompts(catalog, DATA, path.join(DATA, 'clipart-prompts.jsonl'), 'speech', 'audio');
  } finally {
    catalog.close();
  }
  fs.writeFileSync(done, new Date().toISOString());
  return file;
}

const [mode = 'both', pairsArg = '500', seedArg = '1', budgetArg = '300'] = process.argv.slice(2);
if (!(mode in MODES)) throw new Error(`unknown mode ${mode} (${Object.keys(MODES).join(', ')})`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-two-pairs-'));
fs.copyFileSync(await joinedCatalog(), path.join(work, 'c.db'));
const catalog = Catalog.open(path.join(work, 'c.db'), { create: false });
try {
  const started = Date.now();
  const run = await trainConnector(catalog, { pairs: MODES[mode]!, runsDir: path.join(work, 'runs'), trainPairs: Number(pairsArg), seed: Number(seedArg), threads: 1, encoders: { image: 'mobilenet', text: 'glove', audio: 'audio' }, budgetSeconds: Number(budgetArg) });
  const pct = (x: number): number => Math.round(x * 1000) / 10;
  const summary = (r: CrossModalResult): number[] => [pct(r.forward.r1), pct(r.backward.r1), Math.round(r.rsum * 10) / 10];
  const out: Record<string, unknown> = { mode, pairs: Number(pairsArg), seed: Number(seedArg), ...(budgetArg !== '300' ? { budget: Number(budgetArg) } : {}), seconds: Math.round((Date.now() - started) / 1000), trial: run.auto?.trial, trials: Object.fromEntries(Object.entries(run.auto?.pairs ?? {}).map(([k, v]) => [k, v.trial])), served: Object.fromEntries(Object.entries(run.auto?.pairs ?? {}).map(([k, v]) => [k, v.served])) };
  for (const [pair, t] of Object.entries(run.test)) out[pair] = { served: summary(t.connector), baselines: Object.fromEntries(Object.entries(t.baselines).map(([n, b]) => [n, summary(b.result)])) };
  console.log(JSON.stringify(out));
} finally {
  catalog.close();
  fs.rmSync(work, { recursive: true, force: true });
}
