// What the Map page offers to lay out: every encoder with vectors, then each finished run, one
// entry per pair for a run of several (each pair searches in its own space).
import type { MapSourceRequest, RunInfo } from '../../../src-shared/api.ts';
import type { CatalogStats } from '../../../src-shared/types.ts';

export interface MapSourceOption {
  /** The select's value: "encoder:NAME", "run:ID" or "run:ID:SOURCE:TARGET". */
  value: string;
  label: string;
  request: MapSourceRequest;
}

export function mapSources(encoders: CatalogStats['encoders'], runs: readonly RunInfo[]): MapSourceOption[] {
  // Pictures first: a map of drawings is what a person reads at a glance.
  const byEncoder = [...encoders]
    .filter((e) => e.vectors > 0)
    .sort((a, b) => Number(b.modality === 'image') - Number(a.modality === 'image') || b.vectors - a.vectors)
    .map((e) => ({ value: `encoder:${e.name}`, label: `${e.name} (${e.modality}, ${e.vectors.toLocaleString()} vectors)`, request: { encoder: e.name } }));
  const byRun = runs
    .filter((r) => r.status === 'done')
    .flatMap((r) =>
      r.pairs.length === 1
        ? [{ value: `run:${r.id}`, label: `run ${r.id} · ${r.name} (shared space)`, request: { run: r.id } }]
        : r.pairs.map(([a, b]) => ({ value: `run:${r.id}:${a}:${b}`, label: `run ${r.id} · ${r.name} (${a}-${b} space)`, request: { run: r.id, pair: [a, b] as [typeof a, typeof b] } })),
    );
  return [...byEncoder, ...byRun];
}
