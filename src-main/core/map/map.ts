// An embedding map: a source's rows laid out in 2-D (layout.ts), cached in the catalog per source
// and recomputed only when its stamp changes (a new model, changed vectors, a run serving another
// checkpoint), with what the UI colours points by.
import type { MapInfo } from '../../../src-shared/api.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { LAYOUT_DEFAULTS, layout, type LayoutOptions } from './layout.ts';
import { MapError, mapRows, sourceId, type MapSource } from './map-source.ts';

export { MapError, type MapSource };

export interface MapOptions extends Pick<LayoutOptions, 'seed' | 'sample' | 'threads' | 'signal'> {
  /** Lay out again even when the cached map is current. */
  force?: boolean;
  onProgress?: (p: { phase: 'vectors' | 'neighbours' | 'layout' | 'placing'; done: number; total: number }) => void;
}

const paramsOf = (o: MapOptions) => ({ seed: o.seed ?? LAYOUT_DEFAULTS.seed, sample: o.sample ?? LAYOUT_DEFAULTS.sample });

/** The source's map: from the cache when current (same stamp and settings), else laid out and stored. */
export async function computeMap(catalog: Catalog, source: MapSource, o: MapOptions = {}): Promise<{ cached: boolean; seconds: number; points: number }> {
  const { key, stamp } = sourceId(catalog, source);
  const params = paramsOf(o);
  const old = catalog.layouts.get(key);
  if (!o.force && old && old.stamp === stamp && old.params.seed === params.seed && old.params.sample === params.sample) return { cached: true, seconds: old.seconds, points: old.ids.length };
  const started = performance.now();
  o.onProgress?.({ phase: 'vectors', done: 0, total: 1 });
  const rows = await mapRows(catalog, source);
  const xy = await layout(rows.unit, rows.dim, { ...params, ...(o.threads ? { threads: o.threads } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  const seconds = (performance.now() - started) / 1000;
  // The stamp read before the vectors: a write meanwhile leaves this map stale, never wrongly fresh.
  catalog.write(() => catalog.layouts.put({ source: key, stamp: rows.stamp, params: { ...params, space: rows.space }, ids: rows.ids, xy, seconds, createdAt: Date.now() }));
  return { cached: false, seconds, points: rows.ids.length };
}

/** The cached map of a source with each point's dataset, modality and split; null when none was made. */
export function readMap(catalog: Catalog, source: MapSource): MapInfo | null {
  let key: string;
  let stamp: string;
  try {
    ({ key, stamp } = sourceId(catalog, source));
  } catch (err) {
    // The encoder or run is gone (or broke): the map no longer describes anything.
    if (err instanceof MapError) return null;
    throw err;
  }
  const stored = catalog.layouts.get(key);
  if (!stored) return null;
  const stale = stored.stamp !== stamp;
  const briefs = catalog.items.briefs();
  const splits = catalog.pairs.itemSplits();
  const datasets = catalog.datasets.list();
  const datasetIndex = new Map(datasets.map((d, i) => [d.id, i]));
  const modalities: MapInfo['modalities'] = ['image', 'text', 'audio'];
  const splitNames: MapInfo['splits'] = ['train', 'val', 'test', 'unassigned', 'none'];
  const n = stored.ids.length;
  const out: MapInfo = {
    source: key,
    space: String(stored.params.space ?? key),
    stale,
    seconds: stored.seconds,
    createdAt: stored.createdAt,
    datasets: datasets.map((d) => d.name),
    modalities,
    splits: splitNames,
    ids: [],
    x: [],
    y: [],
    dataset: [],
    modality: [],
    split: [],
  };
  for (let i = 0; i < n; i++) {
    const id = stored.ids[i]!;
    const b = briefs.get(id);
    // Items deleted since the layout: leave them out rather than draw points for nothing.
    if (!b) continue;
    out.ids.push(id);
    out.x.push(Math.round(stored.xy[i * 2]! * 1e5) / 1e5);
    out.y.push(Math.round(stored.xy[i * 2 + 1]! * 1e5) / 1e5);
    out.dataset.push(datasetIndex.get(b.datasetId) ?? 0);
    out.modality.push(modalities.indexOf(b.modality));
    out.split.push(splitNames.indexOf(splits.get(id) ?? 'none'));
  }
  return out;
}
