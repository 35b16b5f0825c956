// A finished run on its held-out split: what it serves beside every tuned baseline, recorded as metrics.
import type { Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { altMoeModel } from '../model/altmoe.ts';
import { evaluateBaselines, evaluateConnector } from '../model/evaluate.ts';
import type { CrossModalResult } from '../model/retrieval.ts';
import { evaluateServed } from '../model/served.ts';
import { RunConfig, runParams, servedWith, type RunCheckpoint } from './config.ts';
import { PairEvaluation, RunSummary } from './events.ts';
import { evalSetOf, trainingRows, type PairData } from './pair-data.ts';
import { metricName, metricSplit, type HeldOut } from '../../../src-shared/metric-keys.ts';

export async function evaluateTest(catalog: Catalog, runId: number, config: RunConfig, data: PairData[]): Promise<RunSummary['test']> {
  const out: RunSummary['test'] = {};
  for (const d of data) {
    // Test split when the data has one, else validation: the baselines always see the same split.
    const split: Split = d.splits.test.owner.length > 0 ? 'test' : 'val';
    if (d.splits[split].owner.length === 0) continue;
    const pair = `${d.a}-${d.b}`;
    out[pair] = await evaluatePair(config, 'best', d, split);
    catalog.write(() => recordEvaluation(catalog, runId, pair, out[pair]!, 'served'));
  }
  return out;
}

/** The connector (the pair's checkpoint of the run) and the tuned baselines (chosen on val, fitted on train) on one split of a pair. */
export async function evaluatePair(config: RunConfig, checkpoint: RunCheckpoint, d: PairData, split: Split, head?: 'mapped' | 'pred'): Promise<PairEvaluation> {
  const spec = altMoeModel(config.model);
  const values = runParams(config, checkpoint, `${d.a}-${d.b}`);
  head ??= config.model.loss === 'pred' ? 'pred' : 'mapped';
  const s = d.splits[split];
  const set = evalSetOf(d, split);
  // What search and export serve (the connector, or the auto preset's ensemble), through the same graphs.
  const connector = head === 'pred' ? await evaluateConnector(spec, values, set, 'pred') : await evaluateServed(servedWith(config, values, d.a, d.b), set);
  const rows = trainingRows(d.splits.train, d.aDim);
  const baselines = await evaluateBaselines({ a: rows.a, b: rows.b }, evalSetOf(d, 'val'), set, { a: d.aDim, b: d.bDim }, { joint: d.joint !== undefined });
  return { split, items: s.aVecs.length / d.aDim, captions: s.owner.length, connector, baselines };
}

/** Stores a pair's evaluation as metrics (src-shared/metric-keys.ts): what it serves (or its prediction head) and each baseline with its chosen settings. */
export function recordEvaluation(catalog: Catalog, runId: number, pair: string, e: PairEvaluation, head: 'served' | 'pred'): void {
  catalog.metrics.record(runId, 0, metricSplit.heldOut(e.split as HeldOut, pair, head), { ...flatten(e.connector), items: e.items, captions: e.captions });
  for (const [name, b] of Object.entries(e.baselines)) {
    const hyper = Object.fromEntries(Object.entries(b.hyper).filter((x): x is [string, number] => typeof x[1] === 'number').map(([k, x]) => [metricName.hyper(k), x]));
    catalog.metrics.record(runId, 0, metricSplit.baseline(e.split as HeldOut, pair, name), { ...flatten(b.result), val_score: b.valScore, ...hyper });
  }
}

export function flatten(r: CrossModalResult): Record<string, number> {
  return {
    fwd_r1: r.forward.r1,
    fwd_r5: r.forward.r5,
    fwd_r10: r.forward.r10,
    fwd_map10: r.forward.map10,
    bwd_r1: r.backward.r1,
    bwd_r5: r.backward.r5,
    bwd_r10: r.backward.r10,
    bwd_map10: r.backward.map10,
    rsum: r.rsum,
  };
}
