/** Typed arrays end to end, in order (blocks of rows read page by page become one matrix). */
export function concatArrays<T extends Int32Array | Float32Array>(parts: readonly T[], Type: { new (n: number): T }): T {
  const out = new Type(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
