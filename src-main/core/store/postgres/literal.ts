// pgvector's text form of a float32 vector: '[x1,x2,...]'. Nine significant digits give back the
// exact float32 on parsing, and are much shorter than a double's digits.
export function vectorLiteral(v: Float32Array): string {
  let s = '[';
  for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + Number(v[i]!.toPrecision(9));
  return `${s}]`;
}
