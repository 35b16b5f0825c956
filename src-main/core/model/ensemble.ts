// What a run serves: the trained connector alone, or (the auto preset) a weighted ensemble of the
// connector and the tuned training-free members (ridge, nearest neighbours, CCA, ASIF). Each member
// scores a query against a gallery item by cosine; the ensemble score is the weighted sum of those
// cosines. That sum is itself one cosine between two concatenated vectors, so search, evaluation and
// export all see one query vector and one gallery vector per item, built by the ONNX graphs below:
//   query  = [ sum over target-space members w_i unit(q_i) ,  sqrt(w_cca) unit(cca_q),  sqrt(w_asif) unit(rel_q),  sqrt(w_rev) unit(std(x)) ]
//   gallery= [ unit(std(y))                                ,  sqrt(w_cca) unit(cca_g),  sqrt(w_asif) unit(rel_g),  sqrt(w_rev) unit(c_ts(y)) ]
// (connector, ridge and neighbours all land in the target's standardised space, so they share the
// first block; every gallery row has the same length, so the ranking is the weighted sum's).
// When the pair's encoders are towers of one contrastive model (CLIP, CLAP: encoders/joint-space.ts),
// a zero-shot member adds sqrt(w_zs) unit(x) on both sides: the raw vectors in their own joint space.
// The reverse member is the connector's other direction t -> s applied to the gallery: a query is
// scored in its own space against the gallery mapped into it, so a query meets both of the pair's
// trained directions (on real clipart, one seed, the connector plus its reverse lifted the
// connector's text -> image test R@1 from 15.8 to 19.2 at 4000 pairs and 14.6 to 15.4 at 2000).
// Each direction has its own weights (the query graph of s -> t and the gallery graph of t serve only
// that direction) and, optionally, a hubness correction against a bank of queries stored with the run:
// a gallery item g scores R cos(q, g) - c r(g). QB-Norm's inverted softmax (arXiv 2112.12777, the
// default when it wins on val): r(g) = (R / beta) log mean_b exp(beta cos(b, g)) over the bank and
// c = 1, which ranks as exp(beta cos(q, g)) / sum_b exp(beta cos(b, g)); or CSLS (older runs): r(g)
// = g's mean score against its k nearest bank queries and c = beta. Two columns carry it and keep
// every gallery row the same length:
//   query  = [ unit(query) , 1 , 0 ]        gallery = [ gallery , -c r(g) , sqrt((c R)^2 - (c r(g))^2) ]
// with R the gallery block's (constant) norm, a bound on |r(g)|.
import { BASELINE_LABELS } from '../../../src-shared/metric-keys.ts';
import { Graph, type ParamValues, type Tensor } from '../onnx/graph.ts';
import { l2Normalize } from '../onnx/nn.ts';
import * as op from '../onnx/ops.ts';
import type { ModelSpec } from '../train/spec.ts';
import { directionTask, normParams, type AltMoeConfig } from './altmoe.ts';

export type MemberName = 'connector' | 'ridge' | 'knn' | 'cca' | 'asif' | 'reverse' | 'zeroshot';
export const MEMBERS: readonly MemberName[] = ['connector', 'ridge', 'knn', 'cca', 'asif', 'reverse', 'zeroshot'];
/** Members only a pair of towers of one contrastive model has. */
export const JOINT_MEMBERS: readonly MemberName[] = ['zeroshot'];
/** Members that are the trained connector (the rest are training-free). */
export const TRAINED_MEMBERS: readonly MemberName[] = ['connector', 'reverse'];
/** Weights of no member (older runs' stored weights lack the later members: they count as 0). */
export const NO_MEMBERS: Record<MemberName, number> = { connector: 0, ridge: 0, knn: 0, cca: 0, asif: 0, reverse: 0, zeroshot: 0 };
/** Members scored in the target's standardised space against unit(std(y)). */
const TARGET_SPACE: readonly MemberName[] = ['connector', 'ridge', 'knn'];

export type Direction = 'a2b' | 'b2a';

/**
 * Hubness correction of one direction against a bank of queries: QB-Norm's inverted softmax with
 * inverse temperature beta ('qbnorm'), or CSLS, beta times the mean of the k best bank scores
 * ('csls', the default of runs stored before QB-Norm).
 */
export interface HubCorrection {
  kind?: 'qbnorm' | 'csls';
  beta: number;
  k: number;
  /** Rows in the bank of queries ('hub.<direction>'): unit query vectors of training and unpaired items. */
  bank: number;
}

export interface EnsembleConfig {
  /** The two modalities of the pair: a (media) and b (captions). */
  a: string;
  b: string;
  /** Weights of a -> b, and of b -> a unless weightsB2a is given. */
  weights: Record<MemberName, number>;
  weightsB2a?: Record<MemberName, number>;
  hub?: Partial<Record<Direction, HubCorrection>>;
  knn: { a2b: { k: number; temperature: number }; b2a: { k: number; temperature: number } };
  asif: { k: number; power: number };
  /** CCA width. */
  ccaDim: number;
  /** Training anchors kept for neighbours and ASIF. */
  anchors: number;
}

/** Tensor names of the members' fitted arrays (in the run's ensemble file). */
export const ENSEMBLE_TENSORS = ['ridge.a2b.w', 'ridge.b2a.w', 'cca.a.w', 'cca.b.w', 'anchors.a', 'anchors.b', 'hub.a2b', 'hub.b2a'] as const;
const param = (name: string): string => `ens.${name}`;

/** The served form of a plain connector run. */
export const CONNECTOR_ONLY: Pick<EnsembleConfig, 'weights'> = { weights: { ...NO_MEMBERS, connector: 1 } };

export const usesMember = (w: Record<MemberName, number>, m: MemberName): boolean => (w[m] ?? 0) > 0;
const targetBlock = (w: Record<MemberName, number>): boolean => TARGET_SPACE.some((m) => usesMember(w, m));

type Directed = Pick<EnsembleConfig, 'a' | 'b' | 'weights' | 'weightsB2a' | 'hub'>;
/** The direction whose gallery is modality t. */
export const directionTo = (e: Pick<EnsembleConfig, 'b'>, t: string): Direction => (t === e.b ? 'a2b' : 'b2a');
export const weightsFor = (e: Directed, t: string): Record<MemberName, number> => (directionTo(e, t) === 'b2a' && e.weightsB2a) || e.weights;
/** The hubness correction of the direction into t, if it is on. */
export function hubFor(e: Directed, t: string): HubCorrection | undefined {
  const h = e.hub?.[directionTo(e, t)];
  return h && h.beta > 0 ? h : undefined;
}

/** Norm of every gallery row's member blocks (before the hubness columns). */
export function galleryNorm(w: Record<MemberName, number>): number {
  const shared = (['cca', 'asif', 'reverse', 'zeroshot'] as const).reduce((sum, m) => sum + (usesMember(w, m) ? w[m] : 0), 0);
  return Math.sqrt((targetBlock(w) ? 1 : 0) + shared);
}

/** The pair's other modality: the source of the queries whose gallery is t. */
const otherOf = (e: Pick<EnsembleConfig, 'a' | 'b'>, t: string): string => (t === e.b ? e.a : e.b);

/** Width of the member blocks for weights w into target t (no hubness columns); dims: every modality's width. */
function blocksDim(e: Pick<EnsembleConfig, 'a' | 'b' | 'ccaDim' | 'anchors'>, w: Record<MemberName, number>, t: string, dims: Record<string, number>): number {
  const own = (targetBlock(w) ? dims[t]! : 0) + (usesMember(w, 'cca') ? e.ccaDim : 0) + (usesMember(w, 'asif') ? e.anchors : 0) + (usesMember(w, 'zeroshot') ? dims[t]! : 0);
  return own + (usesMember(w, 'reverse') ? dims[otherOf(e, t)]! : 0);
}

/** Width of the served space for the direction into t; dims: every modality's width. */
export function servedDim(e: Directed & Pick<EnsembleConfig, 'ccaDim' | 'anchors'>, t: string, dims: Record<string, number>): number {
  return blocksDim(e, weightsFor(e, t), t, dims) + (hubFor(e, t) ? 2 : 0);
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
  const hubA2b = hubFor(e, b);
  const hubB2a = hubFor(e, a);
  if (hubA2b) out['hub.a2b'] = [hubA2b.bank, blocksDim(e, weightsFor(e, b), b, dims)];
  if (hubB2a) out['hub.b2a'] = [hubB2a.bank, blocksDim(e, weightsFor(e, a), a, dims)];
  for (const n of Object.keys(out)) if (!values.has(param(n))) delete out[n];
  return out;
}

/** The ONNX graph mapping raw source vectors [N, d_s] to served query vectors ('query') for s -> t. */
export function buildQuery(spec: ModelSpec, values: ParamValues, e: EnsembleConfig, s: string, t: string): Uint8Array {
  const c = spec.config as unknown as AltMoeConfig;
  const sa = s === e.a;
  const shapes = shapesOf(values, e, c.modalities);
  const { g, x, p } = graphFor(`query.${s}-to-${t}`, spec, s, Object.keys(shapes), shapes);
  const w = weightsFor(e, t);
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
  parts.push(...sharedSpaceParts(x, xs, sa, p, w, e));
  // The reverse member: the query in its own standardised space (the gallery is mapped into it).
  if (usesMember(w, 'reverse')) parts.push(op.mul(l2Normalize(xs), Math.sqrt(w.reverse)));
  const q = parts.length === 1 ? parts[0]! : op.concat(parts, 1);
  // The hubness columns [1, 0]: the query's score is then cos(q, g) * R - beta r(g).
  const hub = hubFor(e, t);
  g.output(hub ? op.concat([l2Normalize(q), op.add(op.mul(op.reduceSum(q, [1], true), 0), g.constant('float32', [2], [1, 0]))], 1) : q, 'query');
  return g.toModel({ paramsAs: 'initializers', values, docString: `AltMoE Studio query ${s} -> ${t}` });
}

/** CCA, ASIF and zero-shot blocks: the same on the query and the gallery side (each in its own modality's role). x raw, xs standardised. */
function sharedSpaceParts(x: Tensor, xs: Tensor, isA: boolean, p: Record<string, Tensor>, w: Record<MemberName, number>, e: EnsembleConfig): Tensor[] {
  const out: Tensor[] = [];
  if (usesMember(w, 'cca')) out.push(op.mul(l2Normalize(op.matmul(xs, p[param(isA ? 'cca.a.w' : 'cca.b.w')]!)), Math.sqrt(w.cca)));
  if (usesMember(w, 'asif')) out.push(op.mul(l2Normalize(relative(xs, p[param(isA ? 'anchors.a' : 'anchors.b')]!, e.asif.k, e.asif.power)), Math.sqrt(w.asif)));
  // Raw, not standardised: standardising each tower on its own would move it out of the joint space.
  if (usesMember(w, 'zeroshot')) out.push(op.mul(l2Normalize(x), Math.sqrt(w.zeroshot)));
  return out;
}

/** The ONNX graph mapping raw vectors of modality t [N, d_t] to served gallery vectors ('gallery') for queries s -> t. */
export function buildGallery(spec: ModelSpec, values: ParamValues, e: EnsembleConfig, t: string): Uint8Array {
  const c = spec.config as unknown as AltMoeConfig;
  const shapes = shapesOf(values, e, c.modalities);
  const { g, x, p } = graphFor(`gallery.${t}`, spec, t, Object.keys(shapes), shapes);
  const xs = standardised(x, t, p);
  const w = weightsFor(e, t);
  const parts: Tensor[] = [];
  if (targetBlock(w)) parts.push(l2Normalize(xs));
  parts.push(...sharedSpaceParts(x, xs, t === e.a, p, w, e));
  if (usesMember(w, 'reverse')) {
    // The connector's direction t -> s maps the gallery into the queries' space (its target input
    // is unused, as in the query graph).
    const s = otherOf(e, t);
    const unusedTarget = g.input(s, 'float32', ['N', c.modalities[s]!]);
    const mapped = directionTask(spec, t, s).forward(g, { [t]: x, [s]: unusedTarget }, p, false).outputs.mapped!;
    parts.push(op.mul(l2Normalize(mapped), Math.sqrt(w.reverse)));
  }
  const gal = parts.length === 1 ? parts[0]! : op.concat(parts, 1);
  const hub = hubFor(e, t);
  g.output(hub ? hubColumns(gal, p[param(`hub.${directionTo(e, t)}`)]!, hub, galleryNorm(w)) : gal, 'gallery');
  return g.toModel({ paramsAs: 'initializers', values, docString: `AltMoE Studio gallery ${t}` });
}

/** [gallery, -c r, sqrt((c R)^2 - (c r)^2)] with r(g) the bank term of the correction (see the top of this file), clipped to [-R, R]. */
function hubColumns(gal: Tensor, bank: Tensor, hub: HubCorrection, norm: number): Tensor {
  const sims = op.matmul(gal, op.transpose(bank, [1, 0]));
  const qb = hub.kind === 'qbnorm';
  let term: Tensor;
  if (qb) {
    // (R / beta) log mean exp(beta sims / R), the maximum taken out first.
    const z = op.mul(sims, hub.beta / norm);
    const top = op.reduceMax(z, [1], true);
    term = op.mul(op.add(top, op.log(op.reduceMean(op.exp(op.sub(z, top)), [1], true))), norm / hub.beta);
  } else {
    const shape = ['N', hub.k];
    const [best] = gal.graph.node('TopK', [sims, gal.graph.ints([hub.k])], [{ dtype: 'float32', shape }, { dtype: 'int64', shape }], { axis: { i: -1 }, largest: { i: 1 }, sorted: { i: 1 } }, 'none');
    term = op.reduceMean(best!, [1], true);
  }
  const c = qb ? 1 : hub.beta;
  const r = op.mul(op.minimum(op.maximum(term, -norm), norm), c);
  const bound = (c * norm) ** 2;
  return op.concat([gal, op.neg(r), op.sqrt(op.relu(op.sub(bound, op.mul(r, r))))], 1);
}

/** Parameter values of the ensemble's fitted arrays, named as the graphs expect. */
export function ensembleValues(tensors: Record<string, Float32Array>): Map<string, Float32Array> {
  return new Map(Object.entries(tensors).map(([n, v]) => [param(n), v]));
}

export { BASELINE_LABELS };

/**
 * What a pair serves, in words: "connector x1 + CCA x1", or per direction when the directions differ
 * ("image->text: ...; text->image: ... (hubness beta 0.5)").
 */
export function describeServed(e: Directed): string {
  const hub = (t: string) => {
    const h = hubFor(e, t);
    return h ? (h.kind === 'qbnorm' ? ` (QB-Norm beta ${h.beta})` : ` (hubness correction beta ${h.beta})`) : '';
  };
  const wb = weightsFor(e, e.b);
  const wa = weightsFor(e, e.a);
  if (MEMBERS.every((m) => wa[m] === wb[m]) && !e.hub) return describeWeights(wb);
  return `${e.a}->${e.b}: ${describeWeights(wb)}${hub(e.b)}; ${e.b}->${e.a}: ${describeWeights(wa)}${hub(e.a)}`;
}

/** "connector x1 + CCA x1 + ASIF (relative) x0.5": the members an ensemble serves, with their weights. */
export function describeWeights(w: Record<string, number>): string {
  const names: Record<string, string> = { connector: 'connector', reverse: 'connector reversed (gallery mapped)', ...BASELINE_LABELS };
  return Object.entries(w)
    .filter(([, x]) => x > 0)
    .map(([m, x]) => `${names[m] ?? m} x${x}`)
    .join(' + ');
}
