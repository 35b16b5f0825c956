// int8 vector storage for exact-then-re-scored search: each unit vector is stored as 8-bit codes with
// its own scale (a quarter of float32's memory). A query is scored against every code in ONNX Runtime
// (MatMulInteger, int32 accumulation), the best candidates are taken, and the caller re-scores those
// exactly from the float32 vectors, so the returned scores are exact and only the candidate set is approximate.
import { Graph } from '../onnx/graph.ts';
import { createSession, tensor, type Session } from '../onnx/runtime.ts';

export interface Int8Rows {
  codes: Int8Array;
  /** Per row: value = code * scale. */
  scales: Float32Array;
  dim: number;
}

/**
 * The largest stored row code. The query is uint8 (code + 128, up to 255) and ONNX Runtime's u8 x s8
 * kernels on x86 without VNNI (AVX2, AVX-512F) add products in pairs into int16, which saturates
 * above 32767: 255 * 127 * 2 would, 255 * 63 * 2 = 32130 cannot (ORT's "reduce_range"). With 127
 * the ranking broke on an AVX2-only AMD EPYC; 7-bit rows cost little, as candidates are re-scored.
 */
export const ROW_CODE_MAX = 63;
const QUERY_CODE_MAX = 127;

/** Symmetric per-row quantisation: the largest magnitude of each row maps to maxCode. */
export function quantizeRows(x: Float32Array, dim: number, maxCode = ROW_CODE_MAX): Int8Rows {
  const n = x.length / dim;
  const codes = new Int8Array(x.length);
  const scales = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let max = 0;
    for (let i = r * dim; i < (r + 1) * dim; i++) max = Math.max(max, Math.abs(x[i]!));
    const scale = max > 0 ? max / maxCode : 1;
    scales[r] = scale;
    for (let i = r * dim; i < (r + 1) * dim; i++) codes[i] = Math.round(x[i]! / scale);
  }
  return { codes, scales, dim };
}

/** How many candidates to re-score for k results: enough that int8 rounding rarely changes the top k. */
export function candidateCount(k: number, n: number): number {
  return Math.min(n, Math.max(4 * k, k + 64));
}

/**
 * A scorer over int8 rows: the codes are baked into an ONNX model as a constant, so ONNX Runtime
 * pre-packs them once for its integer GEMM kernel (about 17x faster per query than feeding them as an
 * input, measured at 100k x 768) and this process need not keep them. K is an input, so one session
 * serves every k.
 */
export interface Int8Scorer {
  n: number;
  dim: number;
  session: Session;
}

export async function buildInt8Scorer(rows: Int8Rows): Promise<Int8Scorer> {
  const { dim } = rows;
  const n = rows.scales.length;
  // MatMulInteger computes q [1, dim] x codes^T [dim, n]: the big operand must be B, laid out [dim, n].
  const transposed = new Int8Array(n * dim);
  for (let r = 0; r < n; r++) for (let j = 0; j < dim; j++) transposed[j * n + r] = rows.codes[r * dim + j]!;
  const g = new Graph('int8_topk');
  const q = g.input('q', 'uint8', [1, dim]);
  const k = g.input('k', 'int64', [1]);
  const codes = g.constant('int8', [dim, n], transposed);
  // The query arrives as uint8 with zero point 128 (int8 code + 128): the u8 x s8 kernels are the fast ones.
  const [dots] = g.node('MatMulInteger', [q, codes, g.constant('uint8', [], [128])], [{ dtype: 'int32', shape: [1, n] }], {}, 'none');
  const [asFloat] = g.node('Cast', [dots!], [{ dtype: 'float32', shape: [1, n] }], { to: { i: 1 } }, 'none');
  const [scored] = g.node('Mul', [asFloat!, g.constant('float32', [n], rows.scales)], [{ dtype: 'float32', shape: [1, n] }], {}, 'none');
  const [val, idx] = g.node('TopK', [scored!, k], [{ dtype: 'float32', shape: [1, 'K'] }, { dtype: 'int64', shape: [1, 'K'] }], { axis: { i: -1 }, largest: { i: 1 }, sorted: { i: 1 } }, 'none');
  g.output(val!, 'val');
  g.output(idx!, 'idx');
  return { n, dim, session: await createSession(g.toModel({ paramsAs: 'inputs' })) };
}

/** The k rows with the highest approximate dot product with `query` (unit float32), best first. */
export async function topKInt8(scorer: Int8Scorer, query: Float32Array, k: number): Promise<Int32Array> {
  const kk = Math.min(k, scorer.n);
  if (kk === 0) return new Int32Array(0);
  // The query's own scale is one positive factor for every row: it cannot change the order.
  const q = Uint8Array.from(quantizeRows(query, scorer.dim, QUERY_CODE_MAX).codes, (c) => c + 128);
  const r = await scorer.session.run({ q: tensor('uint8', [1, scorer.dim], q), k: tensor('int64', [1], BigInt64Array.of(BigInt(kk))) });
  return Int32Array.from(r.idx!.data as BigInt64Array, Number);
}
