// Which connector run maps a query from one modality to another: the one asked for, checked, or by
// default the finished run that scored best on validation for that pair (never merely the newest).
import { createHash } from 'node:crypto';
import type { Modality } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { findPair, parseRunConfig, type RunConfig } from '../runs/config.ts';
import { SearchError, UnavailableError } from './errors.ts';
import { bestRecorded, metricSplit } from '../../../src-shared/metric-keys.ts';

export function pickRun(catalog: Catalog, source: Modality, target: Modality, runId?: number): { id: number; config: RunConfig } {
  const covers = (c: RunConfig): boolean => findPair(c, source, target) !== undefined;
  const current = (c: RunConfig): boolean =>
    [source, target].every((m) => {
      const e = c.encoders[m] && catalog.encoders.get(c.encoders[m]!.name);
      return e !== undefined && e.file_hash === c.encoders[m]!.hash;
    });
  if (runId !== undefined) {
    const row = catalog.runs.get(runId);
    if (!row) throw new SearchError(`no run ${runId}`);
    const config = parseRunConfig(catalog, row.config);
    if (!covers(config)) throw new UnavailableError(`run ${runId} was not trained for ${source} -> ${target}`, 'train');
    if (!current(config)) throw new SearchError(`run ${runId} was trained on vectors of another encoder model; train a new run`);
    return { id: runId, config };
  }
  // The default is the run that scored best on validation for this pair, never merely the newest.
  const candidates = catalog.runs
    .list()
    .filter((r) => r.status === 'done')
    .map((r) => ({ id: r.id, config: parseRunConfig(catalog, r.config) }))
    .filter((r) => covers(r.config) && current(r.config));
  if (candidates.length === 0) {
    if (!catalog.encoders.list().some((e) => e.modality === target)) throw new UnavailableError(`no ${target} encoder in the catalog: add one, embed, then train the pair ${source}:${target}`, 'add-encoder');
    throw new UnavailableError(`no trained connector for ${source} -> ${target} yet: train the pair ${source}:${target} first`, 'train');
  }
  return candidates.map((r) => ({ ...r, score: valScoreOf(catalog, r.id, r.config, source, target) })).reduce((best, r) => (r.score > best.score || (r.score === best.score && r.id > best.id) ? r : best));
}

/**
 * A run's validation score for a pair: what an auto run serves (its ensemble's val score), else
 * the best val score it recorded for the pair; -1 when it has none (it then loses to any scored run).
 */
export function valScoreOf(catalog: Catalog, runId: number, config: RunConfig, a: Modality, b: Modality): number {
  const pair = findPair(config, a, b)!;
  const metrics = catalog.metrics.forRun(runId);
  const served = metrics.find((m) => m.split === metricSplit.served(`${pair[0]}-${pair[1]}`) && m.name === 'score');
  if (served) return served.value;
  // The pair's own best when the run recorded it (several pairs), else the run's.
  const own = config.pairs.length > 1 ? bestRecorded(metrics, metricSplit.valPair(`${pair[0]}-${pair[1]}`)).value : -1;
  return own >= 0 ? own : bestRecorded(metrics, metricSplit.val()).value;
}

/** What a run serves now: its best checkpoint and its served ensemble (a change means new vectors). */
export function servedStamp(catalog: Catalog, run: { id: number; config: RunConfig }): string {
  const served = createHash('sha256').update(JSON.stringify(run.config.served ?? null)).digest('hex').slice(0, 16);
  return `${catalog.checkpoints.latest(run.id)?.hash ?? 'last'}:${served}`;
}
