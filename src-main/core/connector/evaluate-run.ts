import type { Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { altMoeModel } from '../model/altmoe.ts';
import { evaluateBaselines, evaluateConnector } from '../model/evaluate.ts';
import type { CrossModalResult } from '../model/retrieval.ts';
import { loadPairData, trainingRows } from './pair-data.ts';
import { flatten, runConfig, runParams } from './run.ts';

export interface RunEvaluation {
  runId: number;
  split: Split;
  head: 'mapped' | 'pred';
  pairs: { pair: string; items: number; captions: number; connector: CrossModalResult; ridge: CrossModalResult; neighbours: CrossModalResult; cca: CrossModalResult | null }[];
}

/** Recall of a run's best checkpoint on a split, beside the training-free baselines on the same split; stored with the run. */
export async function evaluateRun(catalog: Catalog, runId: number, split: Split, requested?: 'mapped' | 'pred'): Promise<RunEvaluation> {
  const config = runConfig(catalog, runId);
  const head = requested ?? (config.model.loss === 'pred' ? 'pred' : 'mapped');
  const spec = altMoeModel(config.model);
  const values = runParams(config);
  const out: RunEvaluation = { runId, split, head, pairs: [] };
  for (const [a, b] of config.pairs) {
    const d = loadPairData(catalog, { a, b, encoders: Object.fromEntries(Object.entries(config.encoders).map(([m, e]) => [m, e!.name])), datasets: config.datasets ?? undefined });
    if (d.encoders.a.hash !== config.encoders[a]?.hash || d.encoders.b.hash !== config.encoders[b]?.hash) {
      throw new Error(`the catalog's ${a} or ${b} encoder changed since run ${runId} was trained`);
    }
    const s = d.splits[split];
    if (s.owner.length === 0) throw new Error(`no ${a}-${b} pairs in the ${split} split`);
    const set = { a, b, aVecs: s.aVecs, bVecs: s.bVecs, owner: s.owner };
    const connector = await evaluateConnector(spec, values, set, head);
    const rows = trainingRows(d.splits.train, d.aDim);
    const base = await evaluateBaselines({ a: rows.a, b: rows.b }, set, { a: d.aDim, b: d.bDim });
    const pair = `${a}-${b}`;
    out.pairs.push({ pair, items: s.aVecs.length / d.aDim, captions: s.owner.length, connector, ridge: base.ridge, neighbours: base.neighbours, cca: base.cca });
    catalog.write(() => {
      catalog.metrics.record(runId, 0, `${split}.${pair}${head === 'pred' ? '.pred-head' : ''}`, flatten(connector));
      catalog.metrics.record(runId, 0, `${split}.${pair}.baseline.ridge`, flatten(base.ridge));
      catalog.metrics.record(runId, 0, `${split}.${pair}.baseline.neighbours`, flatten(base.neighbours));
      if (base.cca) catalog.metrics.record(runId, 0, `${split}.${pair}.baseline.cca`, flatten(base.cca));
    });
  }
  return out;
}
