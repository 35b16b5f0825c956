// The learning curve as an SVG: test R@1 against training pairs (log scale), one line per method,
// with the spread over seeds as error bars; image -> text on the left, text -> image on the right.
type Stat = { mean: number; std: number };
type Size = { pairs: number } & Record<string, Record<string, Stat> | number | unknown>;

const COLORS: Record<string, string> = { auto: '#d62728', connector: '#e377c2', altmoe: '#ff7f0e', ridge: '#8c564b', cca: '#2ca02c', knn: '#1f77b4', asif: '#9467bd', chance: '#7f7f7f' };
const LABELS: Record<string, string> = { auto: 'auto (default)', connector: 'its connector alone (both directions)', altmoe: 'Alt-MoE laptop', ridge: 'ridge', cca: 'CCA', knn: 'neighbours', asif: 'ASIF', chance: 'chance' };

export function curveSvg(sizes: Size[]): string {
  const W = 980;
  const H = 420;
  const panel = { w: 400, h: 300, top: 50, left: [70, 550] };
  const xs = sizes.map((s) => s.pairs);
  const lx = (p: number) => (Math.log(p) - Math.log(Math.min(...xs))) / (Math.log(Math.max(...xs)) - Math.log(Math.min(...xs)) || 1);
  // Only the methods the run measured (bench:encoders leaves the laptop run out).
  const methods = Object.keys(COLORS).filter((m) => sizes.every((s) => s[m] !== undefined));
  const stat = (s: Size, m: string, k: string): Stat => (s[m] as Record<string, Stat>)[k]!;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  (['i2t_r1', 't2i_r1'] as const).forEach((key, pi) => {
    const left = panel.left[pi]!;
    const ymax = Math.ceil(Math.max(...sizes.flatMap((s) => methods.map((m) => stat(s, m, key).mean + stat(s, m, key).std))) / 5) * 5;
    const X = (p: number) => left + lx(p) * panel.w;
    const Y = (v: number) => panel.top + panel.h - (v / ymax) * panel.h;
    out.push(`<text x="${left + panel.w / 2}" y="30" text-anchor="middle" font-size="14">${key === 'i2t_r1' ? 'image → text' : 'text → image'} R@1 (test, %)</text>`);
    out.push(`<line x1="${left}" y1="${Y(0)}" x2="${left + panel.w}" y2="${Y(0)}" stroke="black"/><line x1="${left}" y1="${Y(0)}" x2="${left}" y2="${Y(ymax)}" stroke="black"/>`);
    for (let v = 0; v <= ymax; v += 5) out.push(`<line x1="${left - 4}" y1="${Y(v)}" x2="${left}" y2="${Y(v)}" stroke="black"/><text x="${left - 8}" y="${Y(v) + 4}" text-anchor="end">${v}</text><line x1="${left}" y1="${Y(v)}" x2="${left + panel.w}" y2="${Y(v)}" stroke="#eee"/>`);
    for (const p of xs) out.push(`<line x1="${X(p)}" y1="${Y(0)}" x2="${X(p)}" y2="${Y(0) + 4}" stroke="black"/><text x="${X(p)}" y="${Y(0) + 18}" text-anchor="middle">${p}</text>`);
    out.push(`<text x="${left + panel.w / 2}" y="${Y(0) + 36}" text-anchor="middle">training pairs (log scale)</text>`);
    for (const m of methods) {
      const pts = sizes.map((s) => [X(s.pairs), Y(stat(s, m, key).mean)] as const);
      out.push(`<polyline fill="none" stroke="${COLORS[m]}" stroke-width="${m === 'auto' ? 3 : 1.5}" points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
      sizes.forEach((s, i) => {
        const { mean, std } = stat(s, m, key);
        const [x, y] = pts[i]!;
        out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${COLORS[m]}"><title>${LABELS[m]} ${s.pairs} pairs: ${mean.toFixed(1)} ± ${std.toFixed(1)}</title></circle>`);
        if (std > 0) out.push(`<line x1="${x.toFixed(1)}" y1="${Y(mean - std).toFixed(1)}" x2="${x.toFixed(1)}" y2="${Y(mean + std).toFixed(1)}" stroke="${COLORS[m]}"/>`);
      });
    }
  });
  // Each legend entry as wide as its label (about 6.5 px a character at this font size).
  let x = 70;
  methods.forEach((m) => {
    out.push(`<line x1="${x}" y1="${H - 18}" x2="${x + 20}" y2="${H - 18}" stroke="${COLORS[m]}" stroke-width="3"/><text x="${x + 26}" y="${H - 14}">${LABELS[m]}</text>`);
    x += 26 + LABELS[m]!.length * 6.5 + 18;
  });
  out.push('</svg>');
  return out.join('\n');
}
