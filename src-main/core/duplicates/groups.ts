// Duplicate groups from pairwise links: the connected components of "these two are duplicates"
// (union-find), less the pairs the user marked as different.

export interface Link {
  a: number;
  b: number;
  /** Cosine similarity; 1 for identical content. */
  sim: number;
  exact: boolean;
}

export interface Group {
  /** Member item ids, representative first, then ascending. */
  members: number[];
  /** The member with the most links inside the group (ties: the lowest id): the one to keep. */
  representative: number;
  /** Every link inside the group is identical content. */
  exact: boolean;
  /** The lowest and highest similarity among the group's links. */
  minSim: number;
  maxSim: number;
}

const pairKey = (a: number, b: number): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** Groups of two or more items connected by links that no mark cuts, largest first. */
export function groupLinks(links: readonly Link[], marks: ReadonlySet<string> = new Set()): Group[] {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.get(r)! !== r) r = parent.get(r)!;
    // Path compression keeps later finds flat.
    while (parent.get(x)! !== r) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  const kept = links.filter((l) => l.a !== l.b && !marks.has(pairKey(l.a, l.b)));
  for (const l of kept) {
    if (!parent.has(l.a)) parent.set(l.a, l.a);
    if (!parent.has(l.b)) parent.set(l.b, l.b);
    const ra = find(l.a);
    const rb = find(l.b);
    if (ra !== rb) parent.set(Math.max(ra, rb), Math.min(ra, rb));
  }
  const byRoot = new Map<number, { members: Set<number>; degree: Map<number, number>; exact: boolean; minSim: number; maxSim: number }>();
  for (const l of kept) {
    const root = find(l.a);
    let g = byRoot.get(root);
    if (!g) byRoot.set(root, (g = { members: new Set(), degree: new Map(), exact: true, minSim: Infinity, maxSim: -Infinity }));
    g.members.add(l.a);
    g.members.add(l.b);
    g.degree.set(l.a, (g.degree.get(l.a) ?? 0) + 1);
    g.degree.set(l.b, (g.degree.get(l.b) ?? 0) + 1);
    g.exact &&= l.exact;
    g.minSim = Math.min(g.minSim, l.sim);
    g.maxSim = Math.max(g.maxSim, l.sim);
  }
  const groups: Group[] = [];
  for (const g of byRoot.values()) {
    const ids = [...g.members].sort((x, y) => x - y);
    let rep = ids[0]!;
    for (const id of ids) if (g.degree.get(id)! > g.degree.get(rep)!) rep = id;
    groups.push({ members: [rep, ...ids.filter((id) => id !== rep)], representative: rep, exact: g.exact, minSim: g.minSim, maxSim: g.maxSim });
  }
  return groups.sort((x, y) => y.members.length - x.members.length || x.representative - y.representative);
}
