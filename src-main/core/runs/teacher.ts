// The neighbour teacher of distillation (AltMoeConfig.distill): each training row's target as the
// nearest-neighbours method predicts it from the other training pairs (its own media left out, so
// the teacher never sees the row's own partner).
import { normalizeRows, topKScored } from '../index/exact.ts';
import { columnStats } from '../model/evaluate.ts';

export const TEACHER_K = 10;
export const TEACHER_TEMPERATURE = 0.05;

/**
 * Rows [n, dt]: for each source row, the softmax(cosine / temperature)-weighted mean target of its
 * k nearest source rows of other media (cosine on standardised sources).
 */
export async function neighbourTeacher(sources: Float32Array, targets: Float32Array, owner: Int32Array, ds: number, dt: number, k = TEACHER_K, temperature = TEACHER_TEMPERATURE): Promise<Float32Array> {
  const n = owner.length;
  const { mean, invstd } = columnStats(sources, ds);
  const z = new Float32Array(sources.length);
  for (let r = 0; r < n; r++) for (let i = 0; i < ds; i++) z[r * ds + i] = (sources[r * ds + i]! - mean[i]!) * invstd[i]!;
  const unit = normalizeRows(z, ds);
  const perMedia = new Map<number, number>();
  for (const m of owner) perMedia.set(m, (perMedia.get(m) ?? 0) + 1);
  const top = await topKScored(unit, unit, ds, k + Math.max(...perMedia.values()));
  const out = new Float32Array(n * dt);
  for (let r = 0; r < n; r++) {
    const picked: { j: number; s: number }[] = [];
    for (let c = 0; c < top.k && picked.length < k; c++) {
      const j = top.indices[r * top.k + c]!;
      if (owner[j] !== owner[r]) picked.push({ j, s: top.scores[r * top.k + c]! });
    }
    if (picked.length === 0) continue;
    const w = picked.map((x) => Math.exp((x.s - picked[0]!.s) / temperature));
    const total = w.reduce((a, b) => a + b, 0);
    picked.forEach((x, c) => {
      for (let i = 0; i < dt; i++) out[r * dt + i] = out[r * dt + i]! + (w[c]! / total) * targets[x.j * dt + i]!;
    });
  }
  return out;
}
