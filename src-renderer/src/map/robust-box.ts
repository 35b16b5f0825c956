/**
 * The box holding the middle of the points: the 1st to 99th percentile on each axis, so a few far
 * outliers do not squeeze the main cloud into a corner of the first view.
 */
export function robustBox(x: readonly number[], y: readonly number[], tail = 0.01): { x0: number; x1: number; y0: number; y1: number } {
  const range = (v: readonly number[]): [number, number] => {
    if (v.length === 0) return [-1, 1];
    const s = [...v].sort((a, b) => a - b);
    const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
    return [at(tail), at(1 - tail)];
  };
  const [x0, x1] = range(x);
  const [y0, y1] = range(y);
  return { x0, x1, y0, y1 };
}
