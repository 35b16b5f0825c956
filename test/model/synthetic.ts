// Synthetic cross-modal data whose relation is known and non-linear: both modalities are fixed
// random non-linear maps of shared latent factors, with noise, and several captions per item (each
// caption sees its own variation of the item's factors). Used by tests and `npm run bench:align`.
import { deriveSeed, mulberry32, normal } from '../../src-main/core/util/rng.ts';

export interface SyntheticOptions {
  items: number;
  captionsPerItem: number;
  latent: number;
  dimA: number;
  dimB: number;
  /** Observation noise on both sides (std). */
  noise: number;
  /** How much each caption's factors differ from its item's (std). */
  captionSpread: number;
  /** Draws the items; the maps come from `world` and are shared by every split. */
  seed: number;
  world?: number;
}

export interface SyntheticSet {
  a: Float32Array;
  b: Float32Array;
  /** owner[j]: the item of caption j. */
  owner: Int32Array;
}

function randomMlp(rand: () => number, din: number, hidden: number, dout: number): (x: Float64Array) => Float64Array {
  const w1 = Float64Array.from({ length: din * hidden }, () => normal(rand) / Math.sqrt(din));
  const b1 = Float64Array.from({ length: hidden }, () => 0.5 * normal(rand));
  const w2 = Float64Array.from({ length: hidden * dout }, () => normal(rand) / Math.sqrt(hidden));
  return (x) => {
    const h = new Float64Array(hidden);
    for (let j = 0; j < hidden; j++) {
      let s = b1[j]!;
      for (let i = 0; i < din; i++) s += x[i]! * w1[i * hidden + j]!;
      h[j] = Math.tanh(2 * s);
    }
    const y = new Float64Array(dout);
    for (let k = 0; k < dout; k++) {
      let s = 0;
      for (let j = 0; j < hidden; j++) s += h[j]! * w2[j * dout + k]!;
      y[k] = s;
    }
    return y;
  };
}

export function syntheticPairs(o: SyntheticOptions): SyntheticSet {
  const world = mulberry32(deriveSeed(o.world ?? 7, 1));
  const fa = randomMlp(world, o.latent, 4 * o.latent, o.dimA);
  const fb = randomMlp(world, o.latent, 4 * o.latent, o.dimB);
  const rand = mulberry32(deriveSeed(o.seed, 2));
  const a = new Float32Array(o.items * o.dimA);
  const b = new Float32Array(o.items * o.captionsPerItem * o.dimB);
  const owner = new Int32Array(o.items * o.captionsPerItem);
  for (let i = 0; i < o.items; i++) {
    const z = Float64Array.from({ length: o.latent }, () => normal(rand));
    const va = fa(z);
    for (let k = 0; k < o.dimA; k++) a[i * o.dimA + k] = va[k]! + o.noise * normal(rand);
    for (let c = 0; c < o.captionsPerItem; c++) {
      const j = i * o.captionsPerItem + c;
      const zc = z.map((v) => v + o.captionSpread * normal(rand));
      const vb = fb(zc);
      for (let k = 0; k < o.dimB; k++) b[j * o.dimB + k] = vb[k]! + o.noise * normal(rand);
      owner[j] = i;
    }
  }
  return { a, b, owner };
}

/** One training row per caption: (its item's vector, the caption's vector). */
export function pairRows(set: SyntheticSet, dimA: number): Float32Array {
  const out = new Float32Array(set.owner.length * dimA);
  set.owner.forEach((i, j) => out.set(set.a.subarray(i * dimA, (i + 1) * dimA), j * dimA));
  return out;
}
