// A ridge map for the baselines' tests, written independently of the product's (plain loops and a
// full Cholesky solve of X^T X + lambda I, with lambda = alpha * n * the mean variance, as the product
// scales it), and the image -> text mean recall of its queries.
import { meanRecall } from '../../src-main/core/model/baselines/recall.ts';
import { ridgeSolve } from '../../src-main/core/model/linalg.ts';
import { crossModalRecall } from '../../src-main/core/model/retrieval.ts';

/** The a -> b ridge matrix [da, db] of training rows a, b for each alpha. */
export function bruteRidge(a: Float32Array, b: Float32Array, da: number, db: number): (alpha: number) => Float64Array {
  const n = a.length / da;
  const xtx = new Float64Array(da * da);
  const xty = new Float64Array(da * db);
  for (let r = 0; r < n; r++) for (let i = 0; i < da; i++) {
    for (let j = 0; j < da; j++) xtx[i * da + j] = xtx[i * da + j]! + a[r * da + i]! * a[r * da + j]!;
    for (let j = 0; j < db; j++) xty[i * db + j] = xty[i * db + j]! + a[r * da + i]! * b[r * db + j]!;
  }
  let trace = 0;
  for (let i = 0; i < da; i++) trace += xtx[i * da + i]! / n;
  return (alpha) => ridgeSolve(xtx, xty, da, db, alpha * n * (trace / da));
}

/** Mean recall of media -> caption queries mapped by w, against the set's captions. */
export async function forwardRecall(w: Float64Array, set: { aVecs: Float32Array; bVecs: Float32Array; owner: Int32Array }, da: number, db: number): Promise<number> {
  const m = set.aVecs.length / da;
  const q = new Float32Array(m * db);
  for (let r = 0; r < m; r++) for (let j = 0; j < db; j++) for (let k = 0; k < da; k++) q[r * db + j] = q[r * db + j]! + set.aVecs[r * da + k]! * w[k * db + j]!;
  const res = await crossModalRecall({ mediaQueries: q, captionGallery: set.bVecs, captionDim: db, captionQueries: set.aVecs, mediaGallery: set.aVecs, mediaDim: da, owner: set.owner });
  return meanRecall(res.forward);
}
