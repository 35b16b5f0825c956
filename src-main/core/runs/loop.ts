// The training loop of a run: chunks of evalEvery steps in one held training job, validation recall
// after each chunk, the best checkpoint kept, early stopping; then the run's final state.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.ts';
import { altMoeModel, normParams } from '../model/altmoe.ts';
import { microScore } from '../model/baselines/recall.ts';
import { columnStats, evaluateConnector } from '../model/evaluate.ts';
import type { CrossModalResult } from '../model/retrieval.ts';
import type { Provider } from '../onnx/runtime.ts';
import type { Dataset } from '../train/data.ts';
import { startTraining } from '../train/runner.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../train/checkpoint.ts';
import { type TrainJob } from '../train/job.ts';
import { BEST_FILE, pairBestFile, RunConfig } from './config.ts';
import { evaluateTest, flatten } from './evaluate-pair.ts';
import { RunEvent, RunSummary } from './events.ts';
import { evalSetOf, trainingRows, type PairData } from './pair-data.ts';
import { bestRecorded, metricName, metricSplit } from '../../../src-shared/metric-keys.ts';

function standardisation(config: RunConfig, data: PairData[]): Record<string, Float32Array> {
  const values: Record<string, Float32Array> = {};
  for (const d of data) {
    const rows = trainingRows(d.splits.train, d.aDim);
    for (const [m, x, dim] of [[d.a, d.splits.train.aVecs, d.aDim], [d.b, rows.b, d.bDim]] as const) {
      const [mean, invstd] = normParams(m);
      if (values[mean]) continue;
      const s = columnStats(x, dim);
      values[mean] = s.mean;
      values[invstd] = s.invstd;
    }
  }
  return values;
}

/** Where a training loop records and how long it may go on. */
interface LoopOptions {
  /** The auto trial (1-based) it trains, whose metrics it records under its own splits; null for a run's own loop. */
  trial: number | null;
  /** Wall-clock time (ms) after which no new chunk starts: the auto preset's budget. */
  deadline?: number;
}

type LoopOutcome = { completed: boolean; bestStep: number; bestValScore: number; stoppedEarly: boolean };

export async function runLoop(catalog: Catalog, runId: number, config: RunConfig, data: PairData[], exec: { threads?: number; provider?: Provider }, onEvent: (e: RunEvent) => void, signal?: AbortSignal): Promise<RunSummary> {
  catalog.write(() => catalog.runs.setStatus(runId, 'running', Date.now()));
  const out = await trainLoop(catalog, runId, config, data, exec, onEvent, signal, { trial: null });
  return finishRun(catalog, runId, config, data, out);
}

/** Records the run's final state: cancelled (resumable), or done with its test evaluation. */
export async function finishRun(catalog: Catalog, runId: number, config: RunConfig, data: PairData[], out: LoopOutcome): Promise<RunSummary> {
  const summary = { runId, bestStep: out.bestStep, bestValScore: out.bestValScore, stoppedEarly: out.stoppedEarly };
  if (!out.completed) {
    catalog.write(() => catalog.runs.setStatus(runId, 'cancelled', Date.now()));
    return { ...summary, test: {} };
  }
  const test = await evaluateTest(catalog, runId, config, data);
  catalog.write(() => catalog.runs.setStatus(runId, 'done', Date.now()));
  return { ...summary, test };
}

/**
 * Trains in chunks of evalEvery steps; after each, validation recall (micro-averaged over every
 * pair's queries) decides the best checkpoint, each pair's own recall that pair's best when there
 * are several, and `patience` chunks in which none of them improved stop it.
 */
export async function trainLoop(catalog: Catalog, runId: number, config: RunConfig, data: PairData[], exec: { threads?: number; provider?: Provider }, onEvent: (e: RunEvent) => void, signal: AbortSignal | undefined, opts: LoopOptions): Promise<LoopOutcome> {
  const spec = altMoeModel(config.model);
  fs.mkdirSync(config.dir, { recursive: true });
  const train: Record<string, Dataset> = {};
  for (const task of spec.tasks) {
    const mods = task.inputs.map((i) => i.name);
    const d = data.find((p) => mods.includes(p.a) && mods.includes(p.b))!;
    const rows = trainingRows(d.splits.train, d.aDim);
    const n = d.splits.train.owner.length;
    train[task.name] = { [d.a]: { dtype: 'float32', shape: [n, d.aDim], data: rows.a }, [d.b]: { dtype: 'float32', shape: [n, d.bDim], data: rows.b } };
  }
  const job: TrainJob = {
    dir: config.dir,
    model: { ...config.model },
    optimizer: config.optimizer,
    steps: 0,
    batchSize: config.batchSize,
    seed: config.seed,
    threads: exec.threads,
    provider: exec.provider,
    checkpointEvery: config.evalEvery,
    resume: true,
    initialValues: standardisation(config, data),
  };
  const trainSplit = metricSplit.train(opts.trial);
  const valSplit = metricSplit.val(opts.trial);
  const metrics = catalog.metrics.forRun(runId);
  let best = bestRecorded(metrics, valSplit);
  // With several pairs each keeps its own best too (config.ts, pairBestFile); with one, the run's best
  // is the pair's. A loop begun by a version that recorded no pair scores goes on without them, as begun.
  const keys = data.map((d) => `${d.a}-${d.b}`);
  const begunWithout = metrics.some((m) => m.split === valSplit) && !metrics.some((m) => m.split === metricSplit.valPair(keys[0]!, opts.trial) && m.name === 'score');
  const ownBest = new Map(data.length > 1 && !begunWithout ? keys.map((k) => [k, bestRecorded(metrics, metricSplit.valPair(k, opts.trial))]) : []);
  // Patience counts the checkpoints since any of them last improved.
  const lastGain = Math.max(best.step, ...[...ownBest.values()].map((b) => b.step));
  let sinceBest = metrics.filter((m) => m.split === valSplit && m.name === 'score' && m.step > lastGain).length;
  let step = fs.existsSync(path.join(config.dir, CHECKPOINT_FILE)) ? readCheckpoint(path.join(config.dir, CHECKPOINT_FILE)).step : 0;
  let stoppedEarly = sinceBest >= config.patience;
  let outOfTime = false;
  /** Validation of the checkpoint at `at`: records it, keeps the bests, counts patience. */
  const validate = async (at: number): Promise<void> => {
    const values = readCheckpoint(path.join(config.dir, CHECKPOINT_FILE)).params;
    const perPair: { pair: string; result: CrossModalResult; score: number }[] = [];
    const weighed: { result: CrossModalResult; media: number; captions: number }[] = [];
    for (const d of data) {
      const v = d.splits.val;
      const r = await evaluateConnector(spec, values, evalSetOf(d, 'val'));
      const w = { result: r, media: v.aVecs.length / d.aDim, captions: v.owner.length };
      perPair.push({ pair: `${d.a}-${d.b}`, result: r, score: microScore([w]) });
      weighed.push(w);
    }
    // Every val query weighs the same, whichever pair it belongs to.
    const score = microScore(weighed);
    const rsum = perPair.reduce((t, p) => t + p.result.rsum, 0);
    const improved = score > best.value;
    const pairsImproved = perPair.filter((p) => ownBest.has(p.pair) && p.score > ownBest.get(p.pair)!.value);
    // The same checkpoint copied to each best it became: one row for the step, naming them.
    const copies = [...(improved ? [BEST_FILE] : []), ...pairsImproved.map((p) => pairBestFile(p.pair))];
    catalog.write(() => {
      catalog.metrics.record(runId, at, valSplit, { score, rsum });
      for (const p of perPair) catalog.metrics.record(runId, at, metricSplit.valPair(p.pair, opts.trial), { ...flatten(p.result), score: p.score });
      for (const f of copies) fs.copyFileSync(path.join(config.dir, CHECKPOINT_FILE), path.join(config.dir, f));
      if (copies.length > 0) {
        const first = path.join(config.dir, copies[0]!);
        catalog.checkpoints.save(runId, at, fileHash(first), { path: first }, { score, rsum, bestOf: copies }, Date.now());
      }
    });
    for (const p of perPair) onEvent({ type: 'recall', step: at, pair: p.pair, split: 'val', result: p.result, best: data.length > 1 ? pairsImproved.includes(p) : improved });
    for (const p of pairsImproved) ownBest.set(p.pair, { step: at, value: p.score });
    if (improved) best = { step: at, value: score };
    if (improved || pairsImproved.length > 0) sinceBest = 0;
    else if (++sinceBest >= config.patience) stoppedEarly = true;
  };
  /** Whether training goes on from `at`: steps left, patience left, time left, not cancelled. */
  const goesOn = (at: number): boolean => {
    if (at >= config.steps || stoppedEarly || signal?.aborted) return false;
    if (opts.deadline !== undefined && Date.now() >= opts.deadline) outOfTime = true;
    return !outOfTime;
  };
  const nextTarget = (from: number): number => Math.min(config.steps, from + config.evalEvery);
  let failure: unknown = null;
  try {
    if (goesOn(step)) {
      // One training job for the whole loop: it holds at every evaluation (its checkpoint saved)
      // while the checkpoint is validated here, then goes on or ends. Progress reports the run's
      // planned total.
      const handle = startTraining(
        { ...job, steps: nextTarget(step) },
        { train },
        (e) => {
          // The curves a run page redraws after a reload: each direction's loss and the learning rate.
          if (e.type === 'progress') catalog.write(() => catalog.metrics.record(runId, e.step, trainSplit, { ...Object.fromEntries(Object.entries(e.losses).map(([task, l]) => [metricName.loss(task), l])), lr: e.lr }));
          onEvent(e.type === 'progress' ? { ...e, steps: config.steps } : e);
        },
        async (at) => {
          try {
            await validate(at);
            return goesOn(at) ? nextTarget(at) : 0;
          } catch (err) {
            failure = err;
            return 0;
          }
        },
      );
      const onAbort = (): void => handle.cancel();
      signal?.addEventListener('abort', onAbort);
      try {
        step = (await handle.done).step;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      if (failure) throw failure;
    }
  } catch (err) {
    catalog.write(() => catalog.runs.setStatus(runId, 'failed', Date.now()));
    throw err;
  }
  const completed = step >= config.steps || stoppedEarly || outOfTime;
  return { completed, bestStep: best.step, bestValScore: best.value, stoppedEarly: stoppedEarly || outOfTime };
}

function fileHash(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
