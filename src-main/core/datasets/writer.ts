import type { ImportReport, ItemCounts, Modality, Progress } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { ItemFingerprint, NewItem } from '../catalog/repos/items.ts';
import { ImportError } from './errors.ts';
import { fileHash, textHash } from './hashing.ts';
import { checkMediaPath, realRootOf } from './paths.ts';
import type { ImportPlan } from './plan.ts';

export interface WriteOptions {
  dataset: string;
  root: string;
  /** Refuse the import when any media file is missing (default: report them and go on). */
  strict?: boolean;
  /** Hash media file contents (default true); captions are always hashed. */
  hashMedia?: boolean;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

const MISSING_EXAMPLES = 5;
const PROGRESS_EVERY = 20_000;

/**
 * Writes a validated plan into the catalog in ONE transaction: either every row lands or none
 * does (a crash, a full disk or a bad row leaves the catalog exactly as before).
 */
export async function writePlan(catalog: Catalog, plan: ImportPlan, opts: WriteOptions): Promise<ImportReport> {
  const started = performance.now();
  const progress = opts.onProgress ?? (() => {});
  if (plan.media.size === 0 && plan.texts.size === 0) {
    throw new ImportError(`${plan.source}: nothing to import (no media and no captions found)`);
  }
  checkReferences(plan);

  // Media files: existence, then content hashes. Both read the disk, so they run before the
  // transaction, keeping the write lock short.
  const media = [...plan.media.values()];
  const hashes = new Map<string, string>();
  const missing: string[] = [];
  // Symlinks are resolved: a file that leads outside the root is refused like a missing one (and
  // counted apart), so nothing outside the registered folder is ever hashed, embedded or served.
  const outside: string[] = [];
  const realFile = new Map<string, string>();
  const realRoot = realRootOf(opts.root);
  for (let i = 0; i < media.length; i++) {
    const m = media[i]!;
    const check = checkMediaPath(opts.root, realRoot, m.path);
    if (check.state === 'ok') realFile.set(m.path, check.file);
    else (check.state === 'outside' ? outside : missing).push(m.path);
    if (i % PROGRESS_EVERY === 0) progress({ phase: 'check media', done: i, total: media.length });
  }
  progress({ phase: 'check media', done: media.length, total: media.length });
  if (outside.length > 0 && opts.strict) {
    throw new ImportError(`${outside.length} media file(s) lead outside ${opts.root} through links (strict mode), e.g. ${outside.slice(0, MISSING_EXAMPLES).join(', ')}`);
  }
  if (missing.length > 0 && opts.strict) {
    throw new ImportError(
      `${missing.length} media file(s) missing under ${opts.root} (strict mode), e.g. ${missing.slice(0, MISSING_EXAMPLES).join(', ')}`,
    );
  }
  if (opts.hashMedia !== false) {
    const present = media.filter((m) => realFile.has(m.path));
    for (let i = 0; i < present.length; i++) {
      opts.signal?.throwIfAborted();
      hashes.set(present[i]!.path, await fileHash(realFile.get(present[i]!.path)!));
      if (i % 100 === 0) progress({ phase: 'hash media', done: i, total: present.length });
    }
    progress({ phase: 'hash media', done: present.length, total: present.length });
  }
  opts.signal?.throwIfAborted();

  const report: ImportReport = {
    dataset: opts.dataset,
    format: plan.format,
    source: plan.source,
    root: opts.root,
    items: {},
    pairs: { added: 0, updated: 0, unchanged: 0 },
    missing: { count: missing.length, examples: missing.slice(0, MISSING_EXAMPLES) },
    outside: { count: outside.length, examples: outside.slice(0, MISSING_EXAMPLES) },
    warnings: [...plan.warnings, ...(outside.length > 0 ? [`${outside.length} media file(s) lead outside the dataset root through links and were left out, e.g. ${outside.slice(0, MISSING_EXAMPLES).join(', ')}`] : [])],
    seconds: 0,
  };
  const totalRows = plan.media.size + plan.texts.size + plan.pairs.length;

  catalog.bulkWrite(() => {
    const now = Date.now();
    const existing = catalog.datasets.get(opts.dataset);
    if (existing && existing.root !== opts.root) {
      throw new ImportError(
        `dataset "${opts.dataset}" already exists with root ${existing.root}; use that root or another --name`,
      );
    }
    const { id: datasetId } = catalog.datasets.upsert(opts.dataset, plan.format, opts.root, now);
    let written = 0;
    const tick = (): void => {
      written++;
      if (written % PROGRESS_EVERY === 0) progress({ phase: 'write', done: written, total: totalRows });
    };

    // Item ids by plan key, so pairs need no lookups in the database.
    const mediaIds = new Map<string, number>();
    const textIds = new Map<string, number>();
    const upsert = (known: Map<string, ItemFingerprint> | null, item: NewItem): number => {
      const counts = (report.items[item.modality] ??= { added: 0, updated: 0, unchanged: 0 } satisfies ItemCounts);
      tick();
      const old = known?.get(item.key);
      if (!old) {
        counts.added++;
        return catalog.items.insert(datasetId, item);
      }
      // A media file that went missing keeps the hash it had when it was present.
      const merged = { ...item, contentHash: item.contentHash ?? old.content_hash };
      if (old.path !== merged.path || old.text !== merged.text || old.content_hash !== merged.contentHash || old.meta !== merged.meta) {
        catalog.items.update(old.id, merged);
        counts.updated++;
      } else {
        counts.unchanged++;
      }
      return old.id;
    };
    // A new dataset has no items to compare with: skip loading them.
    const knownOf = (m: Modality): Map<string, ItemFingerprint> | null => (existing ? catalog.items.fingerprintsOf(datasetId, m) : null);

    const byModality = new Map<Modality, typeof media>();
    for (const m of media) {
      const list = byModality.get(m.modality);
      if (list) list.push(m);
      else byModality.set(m.modality, [m]);
    }
    for (const [modality, entries] of byModality) {
      const known = knownOf(modality);
      for (const m of entries) {
        const item: NewItem = { modality, key: m.path, path: m.path, text: null, contentHash: hashes.get(m.path) ?? null, meta: JSON.stringify(m.meta) };
        mediaIds.set(m.path, upsert(known, item));
      }
    }
    const knownTexts = knownOf('text');
    for (const t of plan.texts.values()) {
      const item: NewItem = { modality: 'text', key: t.key, path: null, text: t.text, contentHash: textHash(t.text), meta: JSON.stringify(t.meta) };
      textIds.set(t.key, upsert(knownTexts, item));
    }

    for (const p of plan.pairs) {
      const a = mediaIds.get(p.media)!;
      const b = textIds.get(p.text)!;
      if (catalog.pairs.insert(datasetId, a, b, p.split)) report.pairs.added++;
      else if (existing && catalog.pairs.setSplit(a, b, p.split)) report.pairs.updated++;
      else report.pairs.unchanged++;
      tick();
    }
    progress({ phase: 'write', done: totalRows, total: totalRows });
    // The new items' words for keyword search, in one statement (see migration 6).
    catalog.items.indexNewWords();

    const changed =
      report.pairs.added + report.pairs.updated +
      Object.values(report.items).reduce((n, c) => n + c.added + c.updated, 0);
    report.seconds = (performance.now() - started) / 1000;
    // An import that changes nothing leaves no trace at all, so importing twice is a true no-op.
    if (changed > 0) {
      catalog.datasets.touch(datasetId, now);
      catalog.imports.record(datasetId, plan.format, plan.source, report, now);
    }
  });
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** Every pair must point at a media item and a caption of this plan. */
function checkReferences(plan: ImportPlan): void {
  for (const p of plan.pairs) {
    if (!plan.media.has(p.media)) throw new ImportError(`${plan.source}: a caption refers to unknown media "${p.media}"`);
    if (!plan.texts.has(p.text)) throw new ImportError(`${plan.source}: a pair refers to unknown caption "${p.text}"`);
  }
}
