import { GraphError, type Node, type Tensor } from './graph.ts';
import { add } from './ops.ts';

/**
 * Reverse-mode differentiation: appends to loss's graph the nodes that compute d loss / d w for
 * every w in `wrt` (loss must be a scalar). Only nodes on a path from some w to the loss are
 * differentiated, and each rule computes only the input gradients that are needed.
 */
export function gradients(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  const g = loss.graph;
  if (loss.rank !== 0) throw new GraphError(`gradients: the loss must be a scalar, got [${loss.shape.join(', ')}]`);
  const nodes: Node[] = g.nodes.slice(); // the forward graph as it is now

  // Forward pass: which tensors depend on a parameter.
  const depends = new Set<Tensor>(wrt);
  for (const n of nodes) {
    if (n.vjp === 'none') continue; // e.g. comparisons, stop-gradient, top-k selection
    if (n.inputs.some((t) => t && depends.has(t))) for (const o of n.outputs) depends.add(o);
  }
  if (!depends.has(loss)) throw new GraphError('gradients: the loss does not depend on any of the given tensors');

  const grads = new Map<Tensor, Tensor>();
  grads.set(loss, g.scalar(1, loss.dtype));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (n.vjp === 'none' || !n.outputs.some((o) => grads.has(o))) continue;
    const needed = n.inputs.map((t) => t !== null && depends.has(t));
    if (!needed.some(Boolean)) continue;
    if (!n.vjp) throw new GraphError(`gradients: op ${n.op} (${n.name}) has no gradient rule but lies between the parameters and the loss`);
    const gin = n.vjp(n.outputs.map((o) => grads.get(o) ?? null), needed);
    n.inputs.forEach((t, k) => {
      const gk = gin[k];
      if (!t || !gk || !needed[k]) return;
      const prev = grads.get(t);
      grads.set(t, prev ? add(prev, gk) : gk);
    });
  }
  return wrt.map((w) => {
    const gw = grads.get(w);
    if (!gw) throw new GraphError(`gradients: ${w.name} does not influence the loss`);
    return gw;
  });
}
