// Axis ticks a reader can use: round numbers (1, 2 or 5 times a power of ten) covering the data,
// and a range that never collapses (a single value gets room around it, so its point shows).

export interface Axis {
  min: number;
  max: number;
  ticks: number[];
}

/** About `count` round ticks from lo to hi; the axis is widened to the outer ticks. */
export function niceAxis(lo: number, hi: number, count = 5, opts: { integer?: boolean } = {}): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { min: 0, max: 1, ticks: [0, 1] };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = opts.integer ? 1 : Math.abs(lo) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  if (opts.integer) step = Math.max(1, Math.round(step));
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  // Rounded to the step's decimals, so 0.1 + 0.2 prints as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  for (let v = min; v <= max + step / 2; v += step) ticks.push(Number(v.toFixed(decimals)));
  return { min, max, ticks };
}

/** A tick label: integers as they are (with thousands separators), others with 3 significant digits. */
export function tickLabel(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  if (abs >= 0.001 && abs < 1e5) return String(Number(v.toPrecision(3)));
  return v.toExponential(1);
}
