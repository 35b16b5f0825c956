// What a run serves: the trained connector alone, or (the auto preset) a weighted ensemble of the
// connector and the tuned training-free members (ridge, nearest neighbours, CCA, ASIF). Each member
// scores a query against a gallery item by cosine; the ensemble score is the weighted sum of those
// cosines. That sum is itself one cosine between two concatenated vectors, so search, evaluation and
// export all see one query vector and one gallery vector per item, built by the ONNX graphs below:
//   query  = [ sum over target-space members w_i unit(q_i) ,  sqrt(w_cca) unit(cca_q),  sqrt(w_asif) unit(rel_q) ]
//   gallery= [ unit(std(y))                                ,  sqrt(w_cca) unit(cca_g),  sqrt(w_asif) unit(rel_g) ]
// (connector, ridge and neighbours all land in the target's standardised space, so they share the
// first block; every gallery row has the same length, so the ranking is the weighted sum's).
import { Graph, type ParamValues, type Tensor } from '../onnx/graph.ts';
import { l2Normalize } from '../onnx/nn.ts';
import * as op from '../onnx/ops.ts';
import type { ModelSpec } from '../train/spec.ts';
import { directionTask, normParams, type AltMoeConfig } from './altmoe.ts';

export type MemberName = 'connector' | 'ridge' | 'knn' | 'cca' | 'asif';
export const MEMBERS: readonly MemberName[] = ['connector', 'ridge', 'knn', 'cca', 'asif'];
/** Members scored in the target's standardised space against unit(std(y)). */
const TARGET_SPACE: readonly MemberName[] = ['connector', 'ridge', 'knn'];

export interface EnsembleConfig {
  /** The two modalities of the pair: a (media) and b (captions). */
  a: string;
  b: string;
  weights: Record<MemberName, number>;
  knn: { a2b: { k: number; temperature: number }; b2a: { k: number; temperature: number } };
  asif: { k: number; power: number };
  /** CCA width. */
  ccaDim: number;
  /** Training anchors kept for neighbours and ASIF. */
  anchors: number;
}

/** Tensor names of the members' fitted arrays (in the run's ensemble file). */
export const ENSEMBLE_TENSORS = ['ridge.a2b.w', 'ridge.b2a.w', 'cca.a.w', 'cca.b.w', 'anchors.a', 'anchors.b'] as const;
const param = (name: string): string => `ens.${name}`;

/** The served form of a plain connector run. */
export const CONNECTOR_ONLY: Pick<EnsembleConfig, 'weights'> = { weights: { connector: 1, ridge: 0, knn: 0, cca: 0, asif: 0 } };

export const usesMember = (w: Record<MemberName, number>, m: MemberName): boolean => w[m] > 0;
const targetBlock = (w: Record<MemberName, number>): boolean => TARGET_SPACE.some((m) => usesMember(w, m));

/** Width of the served space for a direction s -> t. */
export function servedDim(e: Pick<EnsembleConfig, 'weights' | 'ccaDim' | 'anchors'>, targetDim: number): number {
  return (targetBlock(e.weights) ? targetDim : 0) + (usesMember(e.weights, 'cca') ? e.ccaDim : 0) + (usesMember(e.weights, 'asif') ? e.anchors : 0);
}

function standardised(x: Tensor, m: string, p: Record<string, Tensor>): Tensor {
  const [mean, invstd] = normParams(m);
  return op.mul(op.sub(x, p[mean]!), p[invstd]!);
}

/** Cosine similarities of rows x [N, d] to anchors [n, d], and the k largest: values and indices [N, k]. */
function topSimilar(x: Tensor, anchors: Tensor, k: number): [Tensor, Tensor, Tensor] {
  const sims = op.matmul(l2Normalize(x), op.transpose(l2Normalize(anchors), [1, 0]));
  const shape = ['N', k];
  const [values, indices] = x.graph.node('TopK', [sims, x.graph.ints([k])], [{ dtype: 'float32', shape }, { dtype: 'int64', shape }], { axis: { i: -1 }, largest: { i: 1 }, sorted: { i: 1 } }, 'none');
  return [values!, indices!, sims];
}

/** Weighted mean of the anchors' targets over the k nearest anchor sources (uniform, or softmax(sim / T)). */
function neighbours(x: Tensor, sources: Tensor, targets: Tensor, k: number, temperature: number): Tensor {
  const [sims, idx] = topSimilar(x, sources, k);
  const picked = op.gather(targets, idx); // [N, k, dt]
  let w: Tensor;
  if (temperature > 0) {
    const z = op.div(op.sub(sims, op.reduceMax(sims, [1], true)), temperature);
    w = op.softmax(z, 1);
  } else {
    w = op.div(op.add(op.mul(sims, 0), 1), k);
  }
  return op.reduceSum(op.mul(picked, op.unsqueeze(w, [2])), [1]);
}

/** ASIF's relative vector: similarities to the anchors, k largest kept, to the power, zero elsewhere. */
function relative(x: Tensor, anchors: Tensor, k: number, power: number): Tensor {
  const [values, indices, sims] = topSimilar(x, anchors, k);
  const kept = op.pow(op.relu(values), power);
  return op.scatterElements(op.mul(sims, 0), indices, kept, 1);
}

interface Built {
  g: Graph;
  x: Tensor;
  p: Record<string, Tensor>;
}

function graphFor(name: string, spec: ModelSpec, m: string, extra: readonly string[], shapes: Record<string, number[]>): Built {
  const g = new Graph(name, 'float32');
  const c = spec.config as unknown as AltMoeConfig;
  const x = g.input(m, 'float32', ['N', c.modalities[m]!]);
  const p: Record<string, Tensor> = {};
  for (const s of spec.params) p[s.name] = g.param(s.name, s.shape);
  for (const n of extra) p[param(n)] = g.param(param(n), shapes[n]!);
  return { g, x, p };
}

function shapesOf(values: ParamValues, e: EnsembleConfig, dims: Record<string, number>): Record<string, number[]> {
  const { a, b } = e;
  const da = dims[a]!;
  const db = dims[b]!;
  const out: Record<string, number[]> = { 'ridge.a2b.w': [da, db], 'ridge.b2a.w': [db, da], 'cca.a.w': [da, e.ccaDim], 'cca.b.w': [db, e.ccaDim], 'anchors.a': [e.anchors, da], 'anchors.b': [e.anchors, db] };
  for (const n of Object.keys(out)) if (!values.has(param(n))) delete out[n];
  return out;
}

/** The ONNX graph mapping raw source vectors [N, d_s] to served query vectors ('query') for s -> t. */
export function buildQuery(spec: ModelSpec, values: ParamValues, e: EnsembleConfig, s: string, t: string): Uint8Array {
  const c = spec.config as unknown as AltMoeConfig;
  const sa = s === e.a;
  const shapes = shapesOf(values, e, c.modalities);
  const { g, x, p } = graphFor(`query.${s}-to-${t}`, spec, s, Object.keys(shapes), shapes);
  const w = e.weights;
  const xs = standardised(x, s, p);
  const parts: Tensor[] = [];
  if (targetBlock(w)) {
    const terms: Tensor[] = [];
    if (usesMember(w, 'connector')) {
      // The direction's forward also reads the target (for its losses); that input is left out of
      // the model because no output needs it.
      const unusedTarget = g.input(t, 'float32', ['N', c.modalities[t]!]);
      const mapped = directionTask(spec, s, t).forward(g, { [s]: x, [t]: unusedTarget }, p, false).outputs.mapped!;
      terms.push(op.mul(l2Normalize(mapped), w.connector));
    }
    if (usesMember(w, 'ridge')) terms.push(op.mul(l2Normalize(op.matmul(xs, p[param(sa ? 'ridge.a2b.w' : 'ridge.b2a.w')]!)), w.ridge));
    if (usesMember(w, 'knn')) {
      const h = sa ? e.knn.a2b : e.knn.b2a;
      const est = neighbours(xs, p[param(sa ? 'anchors.a' : 'anchors.b')]!, p[param(sa ? 'anchors.b' : 'anchors.a')]!, h.k, h.temperature);
      terms.push(op.mul(l2Normalize(est), w.knn));
    }
    parts.push(terms.reduce((acc, v) => op.add(acc, v)));
  }
  parts.push(...sharedSpaceParts(xs, sa, p, e));
  g.output(parts.length === 1 ? parts[0]! : op.concat(parts, 1), 'query');
  return g.toModel({ paramsAs: 'initializers', values, docString: `AltMoE Studio query ${s} -> ${t}` });
}

/** CCA and ASIF blocks: the same on the query and the gallery side (each in its own modality's role). */
function sharedSpaceParts(xs: Tensor, isA: boolean, p: Record<string, Tensor>, e: EnsembleConfig): Tensor[] {
  const w = e.weights;
  const out: Tensor[] = [];
  if (usesMember(w, 'cca')) out.push(op.mul(l2Normalize(op.matmul(xs, p[param(isA ? 'cca.a.w' : 'cca.b.w')]!)), Math.sqrt(w.cca)));
  if (usesMember(w, 'asif')) out.push(op.mul(l2Normalize(relative(xs, p[param(isA ? 'anchors.a' : 'anchors.b')]!, e.asif.k, e.asif.power)), Math.sqrt(w.asif)));
  return out;
}

/** The ONNX graph mapping raw vectors of modality t [N, d_t] to served gallery vectors ('gallery') for queries s -> t. */
export function buildGallery(spec: ModelSpec, values: ParamValues, e: EnsembleConfig, t: string): Uint8Array {
  const c = spec.config as unknown as AltMoeConfig;
  const shapes = shapesOf(values, e, c.modalities);
  const { g, x, p } = graphFor(`gallery.${t}`, spec, t, Object.keys(shapes), shapes);
  const xs = standardised(x, t, p);
  const parts: Tensor[] = [];
  if (targetBlock(e.weights)) parts.push(l2Normalize(xs));
  parts.push(...sharedSpaceParts(xs, t === e.a, p, e));
  g.output(parts.length === 1 ? parts[0]! : op.concat(parts, 1), 'gallery');
  return g.toModel({ paramsAs: 'initializers', values, docString: `AltMoE Studio gallery ${t}` });
}

/** Parameter values of the ensemble's fitted arrays, named as the graphs expect. */
export function ensembleValues(tensors: Record<string, Float32Array>): Map<string, Float32Array> {
  return new Map(Object.entries(tensors).map(([n, v]) => [param(n), v]));
}

export const BASELINE_LABELS: Record<string, string> = { ridge: 'ridge (linear)', cca: 'CCA', knn: 'neighbours', asif: 'ASIF (relative)' };

/** "connector x1 + CCA x1 + ASIF (relative) x0.5": the members an ensemble serves, with their weights. */
export function describeWeights(w: Record<string, number>): string {
  const names: Record<string, string> = { connector: 'connector', ...BASELINE_LABELS };
  return Object.entries(w)
    .filter(([, x]) => x > 0)
    .map(([m, x]) => `${names[m] ?? m} x${x}`)
    .join(' + ');
}
