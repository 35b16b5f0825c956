// Which execution provider runs each node of a session. ONNX Runtime assigns every node it can to
// the requested provider and quietly gives the rest to the CPU (an operator without a WebGPU kernel,
// say), copying tensors across at each boundary; that can make a "GPU" session slower than the CPU.
// ORT says where each node went in two places, both parsed here: the profile of a run (one event per
// executed node, with its provider) and the verbose session log ("Node placements").

export interface PlacedNode {
  op: string;
  name: string;
}

/** Nodes per provider, by ORT's provider name (e.g. "WebGpuExecutionProvider"). */
export type Placements = Map<string, PlacedNode[]>;

export interface PartitionReport {
  /** ORT's name of the provider that was asked for. */
  provider: string;
  total: number;
  onProvider: number;
  /** Nodes that run elsewhere, grouped by operator, most frequent first. */
  fallback: { op: string; provider: string; count: number; nodes: string[] }[];
}

/** ORT's provider name for ours. */
export function ortProviderName(provider: 'cpu' | 'webgpu' | 'cuda'): string {
  return { cpu: 'CPUExecutionProvider', webgpu: 'WebGpuExecutionProvider', cuda: 'CUDAExecutionProvider' }[provider];
}

interface ProfileEvent {
  cat?: string;
  name?: string;
  args?: { op_name?: string; provider?: string };
}

/** Placements from a profile (the JSON array ORT writes with enableProfiling). */
export function placementsFromProfile(events: readonly ProfileEvent[]): Placements {
  const out: Placements = new Map();
  const seen = new Set<string>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.args?.provider || !e.name?.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    // A node runs once per run (or per loop iteration): count it once.
    if (seen.has(name)) continue;
    seen.add(name);
    const list = out.get(e.args.provider) ?? [];
    list.push({ op: e.args.op_name ?? '?', name });
    out.set(e.args.provider, list);
  }
  return out;
}

/**
 * Placements from ORT's verbose session log (log severity 0): after "Node placements", either
 * " All nodes placed on [P]. Number of nodes: N", or per provider " Node(s) placed on [P]. Number
 * of nodes: N" followed by one "  OpType (node name)" line per node.
 */
export function placementsFromLog(log: string): Placements {
  const out: Placements = new Map();
  let current: PlacedNode[] | null = null;
  for (const raw of log.split('\n')) {
    // Strip ORT's prefix: "2026-... [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp] ".
    const at = raw.indexOf('VerifyEachNodeIsAssignedToAnEp] ');
    if (at < 0) {
      current = null;
      continue;
    }
    const line = raw.slice(at + 'VerifyEachNodeIsAssignedToAnEp] '.length);
    const all = /^ All nodes placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (all) {
      out.set(all[1]!, Array.from({ length: Number(all[2]) }, () => ({ op: '?', name: '?' })));
      current = null;
      continue;
    }
    const group = /^ Node\(s\) placed on \[(\w+)\]\. Number of nodes: \d+/.exec(line);
    if (group) {
      current = out.get(group[1]!) ?? [];
      out.set(group[1]!, current);
      continue;
    }
    const node = /^ {2}(\S+) \((.*)\)\s*$/.exec(line);
    if (node && current) current.push({ op: node[1]!, name: node[2]! });
  }
  return out;
}

/** How many nodes run on the wanted provider, and which fall back. */
export function partitionReport(placements: Placements, provider: string): PartitionReport {
  let total = 0;
  const byOp = new Map<string, { op: string; provider: string; count: number; nodes: string[] }>();
  for (const [p, nodes] of placements) {
    total += nodes.length;
    if (p === provider) continue;
    for (const n of nodes) {
      const key = `${p}:${n.op}`;
      const g = byOp.get(key) ?? { op: n.op, provider: p, count: 0, nodes: [] };
      g.count++;
      g.nodes.push(n.name);
      byOp.set(key, g);
    }
  }
  const fallback = [...byOp.values()].sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
  return { provider, total, onProvider: placements.get(provider)?.length ?? 0, fallback };
}

/** One line for a report with fallbacks, e.g. "12 of 40 nodes run on CPUExecutionProvider, not WebGpuExecutionProvider: NonZero x4, ...". */
export function describeFallback(r: PartitionReport): string | null {
  if (r.fallback.length === 0) return null;
  const off = r.total - r.onProvider;
  const ops = r.fallback.map((f) => `${f.op} x${f.count}${f.provider !== 'CPUExecutionProvider' ? ` (${f.provider})` : ''}`).join(', ');
  return `${off} of ${r.total} nodes run on the CPU instead of ${r.provider}, with copies at each boundary: ${ops}`;
}
