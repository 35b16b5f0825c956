// Exact nearest neighbours by dot product: rows scaled to unit length, and the k best gallery rows per
// query by a blocked MatMul + TopK in ONNX Runtime (COCO-sized galleries take seconds).
import { Graph } from '../onnx/graph.ts';
import * as op from '../onnx/ops.ts';
import { createSession, tensor, type Session } from '../onnx/runtime.ts';

/** Rows scaled to unit length (cosine similarity becomes a dot product). */
export function normalizeRows(x: Float32Array, d: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[r * d + i]! ** 2;
    const inv = 1 / Math.sqrt(s + 1e-12);
    for (let i = 0; i < d; i++) out[r * d + i] = x[r * d + i]! * inv;
  }
  return out;
}

// One session per (width, k), kept for the process: evaluations alternate between two widths.
const scorers = new Map<string, Promise<Session>>();

async function topkSession(d: number, k: number): Promise<Session> {
  const cached = scorers.get(`${d}:${k}`);
  if (cached) return cached;
  const g = new Graph('topk', 'float32');
  const q = g.input('q', 'float32', ['Q', d]);
  const gal = g.input('g', 'float32', ['G', d]);
  const scores = op.matmul(q, op.transpose(gal, [1, 0]));
  const [val, idx] = g.node('TopK', [scores, g.ints([k])], [{ dtype: 'float32', shape: ['Q', k] }, { dtype: 'int64', shape: ['Q', k] }], { axis: { i: -1 }, largest: { i: 1 }, sorted: { i: 1 } }, 'none');
  g.output(val!, 'val');
  g.output(idx!, 'idx');
  const session = createSession(g.toModel({ paramsAs: 'inputs' }));
  scorers.set(`${d}:${k}`, session);
  return session;
}

/** Indices of the k best gallery rows for each query row (by dot product), best first. */
export async function topK(queries: Float32Array, gallery: Float32Array, d: number, k: number): Promise<Int32Array> {
  return (await topKScored(queries, gallery, d, k)).indices;
}

/** The k best gallery rows per query row with their dot products, best first ([nq, min(k, ng)]). */
export async function topKScored(queries: Float32Array, gallery: Float32Array, d: number, k: number): Promise<{ indices: Int32Array; scores: Float32Array; k: number }> {
  const nq = queries.length / d;
  const ng = gallery.length / d;
  const kk = Math.min(k, ng);
  const indices = new Int32Array(nq * kk);
  const scores = new Float32Array(nq * kk);
  if (kk === 0) return { indices, scores, k: 0 };
  const s = await topkSession(d, kk);
  const g = tensor('float32', [ng, d], gallery);
  const block = 512;
  for (let start = 0; start < nq; start += block) {
    const rows = Math.min(block, nq - start);
    const r = await s.run({ q: tensor('float32', [rows, d], queries.subarray(start * d, (start + rows) * d)), g });
    const idx = r.idx!.data as BigInt64Array;
    for (let i = 0; i < idx.length; i++) indices[start * kk + i] = Number(idx[i]!);
    scores.set(r.val!.data as Float32Array, start * kk);
  }
  return { indices, scores, k: kk };
}
