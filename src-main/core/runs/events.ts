// What a connector run reports while it trains and what it returns.
import type { Split } from '../../../src-shared/types.ts';
import { type BaselineResults } from '../model/evaluate.ts';
import type { CrossModalResult } from '../model/retrieval.ts';
import { type TrainEvent } from '../train/job.ts';
import type { MemberName } from '../model/ensemble.ts';
import type { EnsembleFit } from '../model/ensemble-fit.ts';

export type RunEvent =
  | TrainEvent
  /** A new run's row exists (before any training): the run a job follows, by id. */
  | { type: 'created'; runId: number }
  | { type: 'recall'; step: number; pair: string; split: Split; result: CrossModalResult; best: boolean }
  /** auto: a trial starts (1-based index of `of`), with the best val score so far and the budget left. */
  | { type: 'trial'; index: number; of: number; settings: string; bestSoFar: number | null; secondsLeft: number }
  /** auto: the trial kept and, per pair, the ensemble weights chosen on val. */
  | { type: 'chosen'; trial: number; settings: string; pairs: AutoReport['pairs'] };

export interface RunSummary {
  runId: number;
  bestStep: number;
  /** Best validation micro-score: mean R@1/5/10 over every val query of every pair, in percent. */
  bestValScore: number;
  stoppedEarly: boolean;
  test: Record<string, PairEvaluation>;
  /** auto runs: which trial won and what the run serves. */
  auto?: AutoReport;
}

/** One pair's evaluation: the connector beside every tuned baseline, on the same split. */
export interface PairEvaluation {
  split: Split;
  /** Gallery sizes: media items and captions (chance R@K is K / gallery). */
  items: number;
  captions: number;
  connector: CrossModalResult;
  baselines: BaselineResults;
}

/** auto runs: the trial kept and what each pair serves. */
export interface AutoReport {
  trial: number;
  settings: string;
  /**
   * Per pair: the trial whose checkpoint it serves (several pairs: each its own best on val), what it serves in words, the weights chosen per direction (a -> b and b -> a), the
   * hubness correction's beta per direction (0: off), each member's val micro-score alone, and the
   * served graphs' own val score, how each direction's weights were chosen (fitEnsemble), and the
   * unpaired items of each modality that joined QB-Norm's bank choice (runs/unpaired.ts).
   */
  pairs: Record<string, { trial: number; served: string; weights: Record<MemberName, number>; weightsB2a: Record<MemberName, number>; hub: { a2b: number; b2a: number }; single: Record<MemberName, number>; valScore: number; weighing: EnsembleFit['weighing']; unpaired?: Record<string, number> }>;
}
