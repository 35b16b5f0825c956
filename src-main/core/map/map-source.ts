// What a map lays out: an encoder's vectors in its own space, or every modality of a run in the
// space it searches in (the first pair's target, e.g. text for image:text): media mapped by the
// run's query graph, the target's items by its gallery graph, so an image sits near its captions
// exactly when search would find them for each other.
import { createHash } from 'node:crypto';
import type { Modality } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { EncoderRow } from '../catalog/repos/encoders.ts';
import { runConfig, servedFor, type RunConfig } from '../runs/config.ts';
import { UserError } from '../util/errors.ts';
import { normalizeRows } from '../index/exact.ts';
import { galleryMapper, queryMapper } from '../model/served.ts';
import { servedStamp } from '../store/pick-run.ts';
import { encoderRows } from '../catalog/encoder-rows.ts';
import { concatArrays } from '../util/arrays.ts';

export type MapSource = { encoder: string } | { run: number };

export class MapError extends UserError {}

export interface MapRows {
  /** 'encoder:<name>' or 'run:<id>': the cache key. */
  key: string;
  /** Changes whenever the rows would: model hashes, the vectors' change counter, what a run serves. */
  stamp: string;
  ids: Int32Array;
  unit: Float32Array;
  dim: number;
  /** The space the rows are in, for a legend: "image-mobilenet" or "run 3 (text space)". */
  space: string;
}

export function sourceKey(s: MapSource): string {
  return 'encoder' in s ? `encoder:${s.encoder}` : `run:${s.run}`;
}

function encoderOf(catalog: Catalog, name: string): EncoderRow {
  const e = catalog.encoders.get(name);
  if (!e) throw new MapError(`no encoder named "${name}" (see "altmoe list encoders")`);
  return e;
}

/** The stamp alone (cheap): whether a cached layout is still the one these rows would give. */
export function sourceStamp(catalog: Catalog, s: MapSource): string {
  const generation = catalog.embeddings.generation();
  if ('encoder' in s) return `${encoderOf(catalog, s.encoder).file_hash}|v${generation}`;
  const config = runOf(catalog, s.run);
  const hashes = Object.values(config.encoders).map((e) => e!.hash).join(',');
  return createHash('sha256').update(`${servedStamp(catalog, { id: s.run, config })}|${hashes}|v${generation}`).digest('hex').slice(0, 24);
}

function runOf(catalog: Catalog, id: number): RunConfig {
  const row = catalog.runs.get(id);
  if (!row) throw new MapError(`no run ${id} (see "altmoe list runs")`);
  if (row.status !== 'done') throw new MapError(`run ${id} is ${row.status}: map a finished run`);
  const config = runConfig(catalog, id);
  for (const [m, e] of Object.entries(config.encoders)) {
    if (catalog.encoders.get(e!.name)?.file_hash !== e!.hash) throw new MapError(`run ${id} was trained on another ${m} encoder model; train a new run`);
  }
  return config;
}

export async function mapRows(catalog: Catalog, s: MapSource): Promise<MapRows> {
  const stamp = sourceStamp(catalog, s);
  if ('encoder' in s) {
    const e = encoderOf(catalog, s.encoder);
    const rows = await encoderRows(catalog, e);
    if (rows.ids.length === 0) throw new MapError(`encoder "${e.name}" has no vectors yet: run "altmoe embed --encoder ${e.name}" first`);
    return { key: sourceKey(s), stamp, ids: rows.ids, unit: rows.unit, dim: e.dim, space: e.name };
  }
  const config = runOf(catalog, s.run);
  const target = config.pairs[0]![1];
  // Every modality paired with the target directly, the target itself first.
  const others = [...new Set(config.pairs.flatMap(([a, b]) => (a === target ? [b] : b === target ? [a] : [])))];
  const parts: { ids: Int32Array; unit: Float32Array }[] = [];
  let dim = 0;
  for (const m of [target, ...others] as Modality[]) {
    const e = encoderOf(catalog, config.encoders[m]!.name);
    const rows = await encoderRows(catalog, e);
    if (rows.ids.length === 0) continue;
    const served = servedFor(config, m === target ? others[0]! : m, target);
    const mapper = await (m === target ? galleryMapper(served, target) : queryMapper(served, m, target));
    try {
      // The graphs take the vectors as stored (they standardise them as in training), as search does.
      parts.push({ ids: rows.ids, unit: normalizeRows(await mapper.map(rows.raw), mapper.dim) });
      dim = mapper.dim;
    } finally {
      await mapper.release();
    }
  }
  const ids = concatArrays(parts.map((p) => p.ids), Int32Array);
  if (ids.length === 0) throw new MapError(`run ${s.run}'s encoders have no vectors in this catalog`);
  const unit = concatArrays(parts.map((p) => p.unit), Float32Array);
  return { key: sourceKey(s), stamp, ids, unit, dim, space: `run ${s.run} (${target} space)` };
}
