// A duplicate scan as the API and the CLI show it: the largest groups with their members' details
// and splits, and counts over every group.
import type { DuplicateGroupInfo, DuplicatesRequest, DuplicatesResult, ItemInfo } from '../../../src-shared/api.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { DuplicatesError, groupSplits, scanDuplicates, straddles, type DuplicateOptions } from './find.ts';

export const DEFAULT_GROUP_LIMIT = 100;

export async function findDuplicates(catalog: Catalog, r: DuplicatesRequest, onProgress?: DuplicateOptions['onProgress']): Promise<DuplicatesResult> {
  const started = performance.now();
  const scan = await scanDuplicates(catalog, { ...r, ...(onProgress ? { onProgress } : {}) });
  const datasets = new Map(catalog.datasets.list().map((d) => [d.id, d.name]));
  let straddling = 0;
  const shown: DuplicateGroupInfo[] = [];
  const limit = r.limit ?? DEFAULT_GROUP_LIMIT;
  for (const g of scan.groups) {
    const splits = groupSplits(catalog, g.members);
    const straddle = straddles(splits.values());
    if (straddle) straddling++;
    if (shown.length >= limit) continue;
    shown.push({
      modality: g.modality,
      representative: g.representative,
      exact: g.exact,
      minSim: g.minSim,
      maxSim: g.maxSim,
      straddles: straddle,
      members: itemInfos(catalog, g.members, datasets),
    });
  }
  return {
    threshold: scan.threshold,
    searched: scan.searched,
    total: scan.groups.length,
    redundant: scan.groups.reduce((n, g) => n + g.members.length - 1, 0),
    straddling,
    groups: shown,
    marks: catalog.duplicateMarks.all().size,
    ms: performance.now() - started,
  };
}

/** Items as pages show them, in the order asked; unknown ids are left out. */
export function itemInfos(catalog: Catalog, ids: readonly number[], datasets = new Map(catalog.datasets.list().map((d) => [d.id, d.name]))): ItemInfo[] {
  const captions = catalog.pairs.firstCaptions(ids);
  return ids.flatMap((id) => {
    const item = catalog.items.getById(id);
    if (!item) return [];
    const caption = captions.get(id);
    return [{ itemId: id, dataset: datasets.get(item.dataset_id) ?? '?', modality: item.modality, key: item.key, path: item.path, text: item.text, splits: catalog.pairs.splitsOf(id).map((s) => s ?? 'unassigned'), ...(caption !== undefined ? { caption } : {}) }];
  });
}

/** Marks (or unmarks) an item as not a duplicate of others; returns how many marks changed. */
export function markDuplicates(catalog: Catalog, item: number, others: readonly number[], different: boolean): number {
  return catalog.write(() => {
    let changed = 0;
    for (const other of others) {
      if (other === item) continue;
      if (!catalog.items.getById(item) || !catalog.items.getById(other)) throw new DuplicatesError(`no item ${catalog.items.getById(item) ? other : item}`);
      if (different ? catalog.duplicateMarks.add(item, other, Date.now()) : catalog.duplicateMarks.remove(item, other)) changed++;
    }
    return changed;
  });
}
