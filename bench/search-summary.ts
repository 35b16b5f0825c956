// The headline of bench:search for one catalog size: per query kind, our fastest approximate index
// that reaches the target recall@10 (the HNSW graph or the IVF lists, each at its own tuned setting)
// against the fastest peer that reaches it, and exact search against FAISS flat. Kept apart from the
// benchmark so a recorded result can be summarised again from its own rows (`npx tsx
// bench/search-summary.ts bench/results/search.json`).
import fs from 'node:fs';
import path from 'node:path';
import { round } from './stats.ts';

export const KINDS = ['in_dist', 'cross_modal'] as const;
export type Kind = (typeof KINDS)[number];
interface Row {
  p50_ms: number;
  recall_at_10: number;
  param?: number;
}
type PerKind = Record<Kind, Record<string, unknown>>;

const OURS_APPROXIMATE = ['ours_ivf', 'ours_hnsw'];

/** The fastest of the named rows reaching the target, else (when `fallback`) the one with the best recall. */
function fastest(rows: Record<string, unknown>, names: string[], target: number, fallback: boolean): [string, Row] | null {
  const present = names.filter((n) => rows[n] !== undefined).map((n) => [n, rows[n] as Row] as [string, Row]);
  const ok = present.filter(([, r]) => r.recall_at_10 >= target);
  if (ok.length > 0) return ok.reduce((b, e) => (e[1].p50_ms < b[1].p50_ms ? e : b));
  if (!fallback || present.length === 0) return null;
  return present.reduce((b, e) => (e[1].recall_at_10 > b[1].recall_at_10 ? e : b));
}

export function summarize(perKind: PerKind, target: number): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const kind of KINDS) {
    const rows = perKind[kind];
    const peers = Object.keys(rows).filter((n) => !n.startsWith('ours') && n !== 'faiss_flat');
    const peer = fastest(rows, peers, target, false);
    const ours = fastest(rows, OURS_APPROXIMATE, target, true);
    summary[kind] = {
      fastest_peer: peer?.[0] ?? null,
      fastest_peer_p50_ms: peer?.[1].p50_ms ?? null,
      ours: ours?.[0] ?? null,
      ours_param: ours?.[1].param ?? null,
      ours_p50_ms: ours?.[1].p50_ms ?? null,
      ours_recall_at_10: ours?.[1].recall_at_10 ?? null,
      ours_reaches_target: ours ? ours[1].recall_at_10 >= target : false,
      ratio: peer && ours ? round(ours[1].p50_ms / peer[1].p50_ms) : null,
    };
  }
  summary.exact_vs_faiss_flat_p50 = Object.fromEntries(
    KINDS.map((k) => {
      const exact = perKind[k].ours_exact as Row | undefined;
      const flat = perKind[k].faiss_flat as Row | undefined;
      return [k, exact && flat ? round(exact.p50_ms / flat.p50_ms) : null];
    }),
  );
  return summary;
}

if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) {
  const file = process.argv[2] ?? 'bench/results/search.json';
  if (!fs.existsSync(file)) {
    console.error(`${file} does not exist: run npm run bench:search first, or name a search result file`);
    process.exit(1);
  }
  const result = JSON.parse(fs.readFileSync(file, 'utf8')) as { target_recall_at_10: number; sizes: Record<string, PerKind & { summary: unknown }> };
  for (const size of Object.values(result.sizes)) size.summary = summarize(size, result.target_recall_at_10);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  for (const [n, size] of Object.entries(result.sizes)) console.log(n, JSON.stringify(size.summary));
}
