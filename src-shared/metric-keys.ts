// Where a run's metrics are stored: each row of the catalog's metrics table has a split (what was
// measured) and a name (which number). The engine writes them and the run pages read them back, so
// both build and parse them here, never by hand:
//   train | trialN.train            step > 0: `loss <direction>` per direction, `lr`
//   val | trialN.val                step > 0: score, rsum (micro-averaged over pairs)
//   val.<pair> | trialN.val.<pair>  step > 0: each pair's recall at that step (fwd_r1 ... rsum, score)
//   trialN                          an auto trial's best score and the seconds it took
//   <test|val>.<pair>               step 0: the held-out evaluation of what the run serves (items, captions)
//   <test|val>.<pair>.pred-head     step 0: the same of the prediction head (altmoe eval --head pred)
//   <test|val>.<pair>.baseline.<n>  step 0: each tuned baseline (val_score, hp_* settings)
//   val.<pair>.served               step 0: the served ensemble on val (score, trial, w_*, wb2a_*, alone_*)
// A pair is "<a>-<b>" of two modalities.

/** The split a finished run is evaluated on (test by default; `altmoe eval --split` may ask for another). */
export type HeldOut = 'test' | 'val' | 'train';

export const metricSplit = {
  train: (trial?: number | null): string => (trial ? `trial${trial}.train` : 'train'),
  val: (trial?: number | null): string => (trial ? `trial${trial}.val` : 'val'),
  valPair: (pair: string, trial?: number | null): string => `${metricSplit.val(trial)}.${pair}`,
  trial: (trial: number): string => `trial${trial}`,
  /** With head 'pred': an evaluation of the prediction head (`altmoe eval --head pred`). */
  heldOut: (split: HeldOut, pair: string, head: 'served' | 'pred' = 'served'): string => `${split}.${pair}${head === 'pred' ? '.pred-head' : ''}`,
  baseline: (split: HeldOut, pair: string, name: string): string => `${split}.${pair}.baseline.${name}`,
  served: (pair: string): string => `val.${pair}.served`,
};

export const metricName = {
  loss: (direction: string): string => `loss ${direction}`,
  hyper: (setting: string): string => `hp_${setting}`,
  weight: (member: string): string => `w_${member}`,
  weightB2a: (member: string): string => `wb2a_${member}`,
  alone: (member: string): string => `alone_${member}`,
};

/** What a metric split names (see the table above); null for one this version does not write. */
export type ParsedSplit =
  | { kind: 'train'; trial: number | null }
  | { kind: 'val'; trial: number | null }
  /** Per-step val recall of a pair (step > 0), or its held-out evaluation on val (step 0, no trial). */
  | { kind: 'pair'; split: HeldOut; pair: string; trial: number | null }
  | { kind: 'pred-head'; split: HeldOut; pair: string }
  | { kind: 'trial'; trial: number }
  | { kind: 'baseline'; split: HeldOut; pair: string; name: string }
  | { kind: 'served'; pair: string };

const PAIR = '[a-z]+-[a-z]+';
const PATTERNS: [RegExp, (m: RegExpExecArray) => ParsedSplit][] = [
  [/^(?:trial(\d+)\.)?train$/, (m) => ({ kind: 'train', trial: m[1] ? Number(m[1]) : null })],
  [/^(?:trial(\d+)\.)?val$/, (m) => ({ kind: 'val', trial: m[1] ? Number(m[1]) : null })],
  [new RegExp(`^trial(\\d+)\\.val\\.(${PAIR})$`), (m) => ({ kind: 'pair', split: 'val', pair: m[2]!, trial: Number(m[1]) })],
  [new RegExp(`^(test|val|train)\\.(${PAIR})$`), (m) => ({ kind: 'pair', split: m[1] as HeldOut, pair: m[2]!, trial: null })],
  [new RegExp(`^(test|val|train)\\.(${PAIR})\\.pred-head$`), (m) => ({ kind: 'pred-head', split: m[1] as HeldOut, pair: m[2]! })],
  [/^trial(\d+)$/, (m) => ({ kind: 'trial', trial: Number(m[1]) })],
  [new RegExp(`^(test|val|train)\\.(${PAIR})\\.baseline\\.([a-z]+)$`), (m) => ({ kind: 'baseline', split: m[1] as HeldOut, pair: m[2]!, name: m[3]! })],
  [new RegExp(`^val\\.(${PAIR})\\.served$`), (m) => ({ kind: 'served', pair: m[1]! })],
];

export function parseMetricSplit(split: string): ParsedSplit | null {
  for (const [re, make] of PATTERNS) {
    const m = re.exec(split);
    if (m) return make(m);
  }
  return null;
}

/** The setting a `hp_*` name holds, or null for another name. */
export function hyperSetting(name: string): string | null {
  return name.startsWith('hp_') ? name.slice(3) : null;
}

/** The direction a `loss *` name is of, or null for another name. */
export function lossDirection(name: string): string | null {
  return name.startsWith('loss ') ? name.slice(5) : null;
}

/** What each baseline row is called, in the CLI and the UI alike ('zeroshot' only where a pair has one). */
export const BASELINE_LABELS: Record<string, string> = { ridge: 'ridge (linear)', cca: 'CCA', knn: 'neighbours', asif: 'ASIF (relative)', zeroshot: "zero-shot (the towers' own space)" };

/** The first step at which a split's metric peaked, and that value; step 0 and -1 when none is recorded. */
export function bestRecorded(points: readonly { split: string; name: string; step: number; value: number }[], split: string, name = 'score'): { step: number; value: number } {
  return points.filter((m) => m.split === split && m.name === name).reduce((b, m) => (m.value > b.value || (m.value === b.value && m.step < b.step) ? { step: m.step, value: m.value } : b), { step: 0, value: -1 });
}

/** " (trial 3's checkpoint)" for a pair of an auto run served from another trial than the one it kept; the CLI and the UI alike. */
export const servedTrialNote = (pairTrial: number | undefined, kept: number): string => (pairTrial !== undefined && pairTrial !== kept ? ` (trial ${pairTrial}'s checkpoint)` : '');
