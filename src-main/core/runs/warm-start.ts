// Initial values for a connector that starts from the tuned ridge map (AltMoeConfig.skip 'ridge'):
// each direction's linear skip holds ridge's matrix (tuned on val, in the same standardised spaces
// the connector sees) and its contrastive head starts at zero, so the first step scores as ridge does.
import { dirPrefix, normParams } from '../model/altmoe.ts';
import { tunedRidge } from '../model/baselines/tuned.ts';
import { standardise } from '../model/evaluate.ts';
import { evalSetOf, trainingRows, type PairData } from './pair-data.ts';

export async function ridgeStart(data: PairData[], stats: Record<string, Float32Array>, dim: number): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  const std = (m: string, x: Float32Array): Float32Array => {
    const [mean, invstd] = normParams(m);
    return standardise(x, stats[mean]!, stats[invstd]!);
  };
  for (const d of data) {
    const rows = trainingRows(d.splits.train, d.aDim);
    const val = evalSetOf(d, 'val');
    const ridge = await tunedRidge({ a: std(d.a, rows.a), b: std(d.b, rows.b), dims: { a: d.aDim, b: d.bDim } }, { ...val, aVecs: std(d.a, val.aVecs), bVecs: std(d.b, val.bVecs) });
    for (const [s, t, key, dt] of [[d.a, d.b, 'a2b.w', d.bDim], [d.b, d.a, 'b2a.w', d.aDim]] as const) {
      out[`${dirPrefix(s, t)}.skip.w`] = ridge.tensors[key]!.data;
      out[`${dirPrefix(s, t)}.cl.w`] = new Float32Array(dim * dt);
    }
  }
  return out;
}
