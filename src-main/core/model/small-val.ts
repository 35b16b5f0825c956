/**
 * A val split of fewer media items than this is too small to choose on alone. Everything tuned there
 * follows its luck: with 70 val pairs on the clipart curve's data, ASIF's and CCA's settings lost up
 * to 32 test RSUM against those chosen on 504 (docs/decisions.md, "Baselines' settings on a small val
 * split"), and ensemble weights fitted there did not carry over ("Equal weights on a small val split").
 * Below it, the baselines' settings are scored on held-out folds of the training pairs too
 * (baselines/folds.ts) and the ensemble weighs its sound members equally (ensemble-fit.ts).
 */
export const FEW_VAL_ITEMS = 100;
