// What a map lays out: an encoder's vectors in its own space, or one pair of a run in the space
// that pair searches in (its target's, e.g. text for image:text): the source's items mapped by the
// pair's query graph, the target's by its gallery graph, so an image sits near its captions exactly
// when search would find them for each other. A run of several pairs has a map per pair: each pair
// is served by its own checkpoint, ensemble and QB-Norm, so two pairs' points share no one space.
import { createHash } from 'node:crypto';
import type { Modality } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { EncoderRow } from '../catalog/repos/encoders.ts';
import { findPair, runConfig, servedFor, type RunConfig } from '../runs/config.ts';
import { UserError } from '../util/errors.ts';
import { normalizeRows } from '../index/exact.ts';
import { galleryMapper, queryMapper } from '../model/served.ts';
import { servedStamp } from '../store/pick-run.ts';
import { encoderRows } from '../catalog/encoder-rows.ts';
import { concatArrays } from '../util/arrays.ts';

export type MapSource = { encoder: string } | { run: number; pair?: readonly [Modality, Modality] };

export class MapError extends UserError {}

export interface MapRows {
  /** 'encoder:<name>', 'run:<id>' or, for a pair of a run of several, 'run:<id>:<a>-<b>': the cache key. */
  key: string;
  /** Changes whenever the rows would: model hashes, the vectors' change counter, what a run serves. */
  stamp: string;
  ids: Int32Array;
  unit: Float32Array;
  dim: number;
  /** The space the rows are in, for a legend: "image-mobilenet" or "run 3 (text space)". */
  space: string;
}

/** A run with one pair keeps the key it always had; each pair of a run of several has its own. */
function runKey(id: number, pairs: readonly (readonly [Modality, Modality])[], pair: readonly [Modality, Modality]): string {
  return pairs.length === 1 ? `run:${id}` : `run:${id}:${pair.join('-')}`;
}

/** The run's pair a map is of: the one named (in either order), else the first. */
function pairOf(config: RunConfig, s: { run: number; pair?: readonly [Modality, Modality] }): [Modality, Modality] {
  if (!s.pair) return config.pairs[0]!;
  const found = findPair(config, ...s.pair);
  if (!found) throw new MapError(`run ${s.run} has no ${s.pair.join('-')} pair (its pairs: ${config.pairs.map((p) => p.join('-')).join(', ')})`);
  return found;
}

function encoderOf(catalog: Catalog, name: string): EncoderRow {
  const e = catalog.encoders.get(name);
  if (!e) throw new MapError(`no encoder named "${name}" (see "altmoe list encoders")`);
  return e;
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

type Resolved = { key: string; stamp: string } & ({ encoder: EncoderRow } | { run: number; config: RunConfig; pair: [Modality, Modality] });

/** A source checked (a one-line MapError for an unknown encoder, unfinished run or pair it lacks) with its cache key and stamp. */
function resolve(catalog: Catalog, s: MapSource): Resolved {
  const generation = catalog.embeddings.generation();
  if ('encoder' in s) {
    const encoder = encoderOf(catalog, s.encoder);
    return { key: `encoder:${s.encoder}`, stamp: `${encoder.file_hash}|v${generation}`, encoder };
  }
  const config = runOf(catalog, s.run);
  const pair = pairOf(config, s);
  const hashes = Object.values(config.encoders).map((e) => e!.hash).join(',');
  const stamp = createHash('sha256').update(`${servedStamp(catalog, { id: s.run, config })}|${hashes}|v${generation}`).digest('hex').slice(0, 24);
  return { key: runKey(s.run, config.pairs, pair), stamp, run: s.run, config, pair };
}

/**
 * The cache key and stamp alone (cheap): the stamp changes whenever the rows would (model hashes,
 * the vectors' change counter, what a run serves), so a cached layout with it is still current.
 */
export function sourceId(catalog: Catalog, s: MapSource): { key: string; stamp: string } {
  const { key, stamp } = resolve(catalog, s);
  return { key, stamp };
}

export async function mapRows(catalog: Catalog, s: MapSource): Promise<MapRows> {
  const r = resolve(catalog, s);
  if ('encoder' in r) {
    const e = r.encoder;
    const rows = await encoderRows(catalog, e);
    if (rows.ids.length === 0) throw new MapError(`encoder "${e.name}" has no vectors yet: run "altmoe embed --encoder ${e.name}" first`);
    return { key: r.key, stamp: r.stamp, ids: rows.ids, unit: rows.unit, dim: e.dim, space: e.name };
  }
  const { run, config, pair: [source, target] } = r;
  const served = servedFor(config, source, target);
  const parts: { ids: Int32Array; unit: Float32Array }[] = [];
  let dim = 0;
  for (const m of [target, source]) {
    const e = encoderOf(catalog, config.encoders[m]!.name);
    const rows = await encoderRows(catalog, e);
    if (rows.ids.length === 0) continue;
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
  if (ids.length === 0) throw new MapError(`run ${run}'s encoders have no vectors in this catalog`);
  const unit = concatArrays(parts.map((p) => p.unit), Float32Array);
  const space = config.pairs.length === 1 ? `run ${run} (${target} space)` : `run ${run}, ${source}-${target} (${target} space)`;
  return { key: r.key, stamp: r.stamp, ids, unit, dim, space };
}
