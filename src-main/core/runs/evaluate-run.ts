import type { Split } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { describeServed } from '../model/ensemble.ts';
import { UserError } from '../util/errors.ts';
import { straddleWarning } from '../duplicates/straddle.ts';
import { evaluatePair, recordEvaluation } from './evaluate-pair.ts';
import { runData } from './plan.ts';
import { type PairEvaluation } from './events.ts';
import { runConfig, type RunCheckpoint } from './config.ts';

export interface RunEvaluation {
  runId: number;
  split: Split;
  head: 'mapped' | 'pred';
  /** Per pair, what an auto run serves (e.g. "connector x1 + CCA x1"); absent for the connector alone. */
  pairs: (PairEvaluation & { pair: string; served?: string })[];
  /** Why these numbers may mislead (a head the run's loss never trained). */
  warnings: string[];
}

/** The head a loss never trained scores near chance: say so with the numbers. */
function untrainedHead(loss: string, head: 'mapped' | 'pred'): string | null {
  if (head === 'mapped' && loss === 'pred') return 'this run trained only the prediction loss: its contrastive (mapped) head is untrained and scores near chance; evaluate with --head pred';
  if (head === 'pred' && loss === 'cl') return 'this run trained only the contrastive loss: its prediction head is untrained and scores near chance; evaluate with --head mapped';
  return null;
}

/** Recall of a run's best checkpoint on a split, beside the tuned training-free baselines on the same split; stored with the run. */
export async function evaluateRun(catalog: Catalog, runId: number, split: Split, requested?: 'mapped' | 'pred', checkpoint: RunCheckpoint = 'best'): Promise<RunEvaluation> {
  const config = runConfig(catalog, runId);
  const head = requested ?? (config.model.loss === 'pred' ? 'pred' : 'mapped');
  const warning = untrainedHead(config.model.loss, head);
  const out: RunEvaluation = { runId, split, head, pairs: [], warnings: warning ? [warning] : [] };
  for (const d of await runData(catalog, config)) {
    const { a, b } = d;
    if (d.encoders.a.hash !== config.encoders[a]?.hash || d.encoders.b.hash !== config.encoders[b]?.hash) {
      throw new UserError(`the catalog's ${a} or ${b} encoder changed since run ${runId} was trained`);
    }
    if (d.splits[split].owner.length === 0) throw new UserError(`no ${a}-${b} pairs in the ${split} split`);
    const pair = `${a}-${b}`;
    const straddle = split === 'train' || !d.duplicates ? null : straddleWarning(d.duplicates, pair);
    if (straddle) out.warnings.push(straddle);
    const e = await evaluatePair(config, checkpoint, d, split, head);
    const ens = config.served?.[pair];
    out.pairs.push({ pair, ...e, ...(ens && head === 'mapped' ? { served: describeServed(ens) } : {}) });
    catalog.write(() => recordEvaluation(catalog, runId, pair, e, head === 'pred' ? 'pred' : 'served'));
  }
  return out;
}
