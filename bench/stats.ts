// Small helpers the benchmarks share for the figures they record.

/** The median (the upper one for an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** Three decimals, for JSON results. */
export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
