// The Alt-MoE connector (see shared/design/altmoe-method.md): per-modality input projections with
// learnable modality embeddings, two task embeddings (prediction, contrastive), one shared MoE (or,
// for the ablation, MLP) stack, and per-direction prediction and contrastive heads that map into the
// target encoder's own space. One training task per direction, trained in turn (alternating), or one
// task per modality pair with both directions summed (joint).
import type { Tensor } from '../onnx/graph.ts';
import { dropout, infoNCE, linear, mse, smoothL1 } from '../onnx/nn.ts';
import * as op from '../onnx/ops.ts';
import type { ForwardResult, ModelSpec, ParamSpec, TaskSpec } from '../train/spec.ts';
import { mlpParams, mlpStack, moeParams, moeStack, type BuildOptions } from './moe.ts';

export interface AltMoeConfig {
  kind: 'altmoe';
  /** Encoder width of every modality, e.g. { image: 768, text: 384 }. */
  modalities: Record<string, number>;
  /** Modality pairs with paired data, e.g. [['image', 'text'], ['audio', 'text']]. */
  pairs: [string, string][];
  dim: number;
  hidden: number;
  experts: number;
  topK: number;
  layers: number;
  connector: 'moe' | 'mlp';
  schedule: 'alternating' | 'joint';
  loss: 'pred+cl' | 'pred' | 'cl';
  predLoss: 'l2' | 'smoothl1';
  /** Weight of the prediction loss (lambda). */
  predWeight: number;
  temperature: number;
  learnTemperature: boolean;
  /** Dropout on the input vectors. */
  dropout: number;
  balanceWeight: number;
}

export const directionName = (s: string, t: string): string => `${s}->${t}`;
const dirPrefix = (s: string, t: string): string => `dir.${s}2${t}`;

/** Parameters of the input standardisation, set from data statistics and never trained. */
export const normParams = (m: string): [string, string] => [`norm.${m}.mean`, `norm.${m}.invstd`];

export function altMoeModel(c: AltMoeConfig, build: BuildOptions = {}): ModelSpec {
  for (const [a, b] of c.pairs) {
    if (!(a in c.modalities) || !(b in c.modalities)) throw new Error(`pair ${a}-${b} names a modality without a dimension`);
    if (a === b) throw new Error(`pair ${a}-${b} must join two different modalities`);
  }
  const stack = { dim: c.dim, hidden: c.hidden, experts: c.experts, topK: c.topK, layers: c.layers };
  const params: ParamSpec[] = [];
  const used = [...new Set(c.pairs.flat())];
  for (const m of used) {
    const d = c.modalities[m]!;
    const [mean, invstd] = normParams(m);
    params.push({ name: mean, shape: [d], init: { kind: 'zeros' } });
    params.push({ name: invstd, shape: [d], init: { kind: 'ones' } });
    params.push({ name: `mod.${m}.emb`, shape: [d], init: { kind: 'zeros' } });
    params.push({ name: `mod.${m}.in.w`, shape: [d, c.dim], init: { kind: 'normal', std: 1 / Math.sqrt(d) } });
    params.push({ name: `mod.${m}.in.b`, shape: [c.dim], init: { kind: 'zeros' } });
  }
  params.push({ name: 'task.pred', shape: [c.dim], init: { kind: 'normal', std: 0.02 } });
  params.push({ name: 'task.cl', shape: [c.dim], init: { kind: 'normal', std: 0.02 } });
  params.push(...(c.connector === 'moe' ? moeParams('shared', stack) : mlpParams('shared', stack)));
  const directions = c.pairs.flatMap(([a, b]) => [[a, b], [b, a]] as [string, string][]);
  for (const [s, t] of directions) {
    const dt = c.modalities[t]!;
    const p = dirPrefix(s, t);
    params.push({ name: `${p}.pred.w`, shape: [c.dim, dt], init: { kind: 'normal', std: 1 / Math.sqrt(c.dim) } });
    params.push({ name: `${p}.pred.b`, shape: [dt], init: { kind: 'zeros' } });
    params.push({ name: `${p}.cl.w`, shape: [c.dim, dt], init: { kind: 'normal', std: 1 / Math.sqrt(c.dim) } });
    params.push({ name: `${p}.cl.b`, shape: [dt], init: { kind: 'zeros' } });
  }
  if (c.learnTemperature) params.push({ name: 'logit_scale', shape: [], init: { kind: 'uniform', limit: 0 } });

  const standardise = (x: Tensor, m: string, p: Record<string, Tensor>): Tensor => {
    const [mean, invstd] = normParams(m);
    return op.mul(op.sub(x, p[mean]!), p[invstd]!);
  };

  /** One direction s -> t: its heads' outputs and losses. */
  const direction = (s: string, t: string, inputs: Record<string, Tensor>, p: Record<string, Tensor>, training: boolean): ForwardResult & { parts: Record<string, Tensor> } => {
    let src = standardise(inputs[s]!, s, p);
    if (training && c.dropout > 0) src = dropout(src, inputs[`keep.${s}`]!, c.dropout);
    const tgt = standardise(inputs[t]!, t, p);
    const shared = linear(op.add(src, p[`mod.${s}.emb`]!), p[`mod.${s}.in.w`]!, p[`mod.${s}.in.b`]!);
    const run = (x: Tensor): { y: Tensor; balance: Tensor | null; load: Tensor | null } => {
      if (c.connector === 'moe') {
        const r = moeStack(x, p, 'shared', stack, build.dispatch);
        return { y: r.y, balance: r.balance, load: r.load };
      }
      return { y: mlpStack(x, p, 'shared', stack), balance: null, load: null };
    };
    const dp = dirPrefix(s, t);
    const predBranch = run(op.add(shared, p['task.pred']!));
    const pred = linear(predBranch.y, p[`${dp}.pred.w`]!, p[`${dp}.pred.b`]!);
    const clBranch = run(op.add(shared, p['task.cl']!));
    const mapped = linear(clBranch.y, p[`${dp}.cl.w`]!, p[`${dp}.cl.b`]!);
    const lPred = c.predLoss === 'smoothl1' ? smoothL1(pred, tgt) : mse(pred, tgt);
    const scale = c.learnTemperature ? op.exp(op.add(p.logit_scale!, Math.log(1 / c.temperature))) : p['task.cl']!.graph.scalar(1 / c.temperature);
    const lCl = infoNCE(mapped, tgt, scale);
    let loss = c.loss === 'pred' ? op.mul(lPred, c.predWeight) : c.loss === 'cl' ? lCl : op.add(op.mul(lPred, c.predWeight), lCl);
    const parts: Record<string, Tensor> = { pred_loss: lPred, cl_loss: lCl };
    if (predBranch.balance && clBranch.balance) {
      const balance = op.add(predBranch.balance, clBranch.balance);
      loss = op.add(loss, op.mul(balance, c.balanceWeight));
      parts.expert_load = op.mul(op.add(predBranch.load!, clBranch.load!), 0.5);
    }
    return { loss, outputs: { pred, mapped }, parts };
  };

  const inputsOf = (mods: string[]): TaskSpec['inputs'] => mods.map((m) => ({ name: m, dtype: 'float32', shape: ['N', c.modalities[m]!] }));
  const masksOf = (mods: string[]): TaskSpec['masks'] => (c.dropout > 0 ? mods.map((m) => ({ name: `keep.${m}`, shape: ['N', c.modalities[m]!], p: c.dropout })) : []);
  // With a single loss, the other branch's head and task embedding take no part and are not trained.
  const unused = (name: string): boolean =>
    (c.loss === 'pred' && (name === 'task.cl' || name === 'logit_scale' || /\.cl\.[wb]$/.test(name))) || (c.loss === 'cl' && (name === 'task.pred' || /\.pred\.[wb]$/.test(name)));
  const sharedNames = params.filter((p) => (p.name.startsWith('shared.') || p.name.startsWith('task.') || p.name === 'logit_scale') && !unused(p.name)).map((p) => p.name);
  const ownedBy = (s: string, t: string): string[] => params.filter((p) => (p.name.startsWith(`mod.${s}.`) || p.name.startsWith(`${dirPrefix(s, t)}.`)) && !unused(p.name)).map((p) => p.name);

  let tasks: TaskSpec[];
  if (c.schedule === 'alternating') {
    tasks = directions.map(([s, t]) => ({
      name: directionName(s, t),
      inputs: inputsOf([s, t]),
      masks: masksOf([s]),
      // Only this direction's projection and heads, plus everything shared, move on its steps.
      trainable: [...ownedBy(s, t), ...sharedNames],
      forward: (_g, inputs, p, training) => {
        const r = direction(s, t, inputs, p, training);
        return { loss: r.loss, outputs: r.outputs, metrics: r.parts };
      },
    }));
  } else {
    tasks = c.pairs.map(([a, b]) => ({
      name: `${a}<->${b}`,
      inputs: inputsOf([a, b]),
      masks: masksOf([a, b]),
      trainable: [...new Set([...ownedBy(a, b), ...ownedBy(b, a), ...sharedNames])],
      forward: (_g, inputs, p, training) => {
        // Joint: both directions' losses summed in one step (the ablation of alternation).
        const ab = direction(a, b, inputs, p, training);
        const ba = direction(b, a, inputs, p, training);
        const metrics: Record<string, Tensor> = {};
        for (const [k, v] of Object.entries(ab.parts)) metrics[`${a}->${b}.${k}`] = v;
        for (const [k, v] of Object.entries(ba.parts)) metrics[`${b}->${a}.${k}`] = v;
        return { loss: op.add(ab.loss, ba.loss), outputs: { [`mapped.${a}->${b}`]: ab.outputs.mapped!, [`mapped.${b}->${a}`]: ba.outputs.mapped! }, metrics };
      },
    }));
  }
  return { config: { ...c }, floatType: 'float32', params, tasks };
}

/**
 * The inference task of a direction: maps source vectors with the contrastive head ('mapped') or
 * the prediction head ('pred') into the target's (standardised) space. For joint-schedule models
 * it is built from the same parameters.
 */
export function directionTask(spec: ModelSpec, s: string, t: string): TaskSpec {
  const name = directionName(s, t);
  const own = spec.tasks.find((x) => x.name === name);
  if (own) return own;
  const c = spec.config as unknown as AltMoeConfig;
  return altMoeModel({ ...c, schedule: 'alternating' }).tasks.find((x) => x.name === name)!;
}
