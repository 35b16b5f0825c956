// One item as the result view shows it: its captions or media, its file's size and place, and the
// other items with the same content.
import type { ItemDetail } from '../../../src-shared/api.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { itemInfos } from '../duplicates/report.ts';
import { UserError } from '../util/errors.ts';
import { itemFile } from './media.ts';

export function itemDetail(catalog: Catalog, id: number): ItemDetail {
  const datasets = new Map(catalog.datasets.list().map((d) => [d.id, d.name]));
  const [info] = itemInfos(catalog, [id], datasets);
  if (!info) throw new UserError(`no item ${id} in the catalog`);
  let file: string | null = null;
  let bytes: number | null = null;
  if (info.modality !== 'text') {
    try {
      ({ file, size: bytes } = itemFile(catalog, id));
    } catch {
      // Missing, moved or outside its root: the view says so by showing no size.
      const item = catalog.items.getById(id)!;
      file = item.path;
    }
  }
  return {
    ...info,
    captions: info.modality === 'text' ? [] : catalog.pairs.captionsOfItem(id),
    media: info.modality === 'text' ? catalog.pairs.mediaOfItem(id) : [],
    bytes,
    file,
    copies: catalog.items.copiesOf(id).map((c) => ({ itemId: c.itemId, dataset: datasets.get(c.datasetId) ?? '?', key: c.key })),
  };
}
