// altmoe search: a text, a file or a catalog item against the catalog (the API's search:query
// options, checked by the same schema).
import path from 'node:path';
import { itemId, searchOptionsSchema, storeSearchSchema } from '../../../../src-shared/schemas.ts';
import { definedOnly } from '../../../../src-shared/objects.ts';
import { MODALITIES } from '../../../../src-shared/types.ts';
import { Catalog } from '../../catalog/catalog.ts';
import { SearchEngine, type QueryInput } from '../../search/engine.ts';
import { printable, table } from '../render.ts';
import { UserError } from '../../util/errors.ts';
import { csv, num, oneOf, UsageError, validated, type Command, type Values } from '../args.ts';

/** --store URL [--exact] [--ef-search N]: search a Postgres store instead of the local catalog. */
export function storeOptions(values: Values): { store?: string; exact?: boolean; efSearch?: number } {
  if (values.store === undefined) {
    if (values.exact || values['ef-search'] !== undefined) throw new UsageError('--exact and --ef-search go with --store postgres://...');
    return {};
  }
  return validated(storeSearchSchema, definedOnly({ store: values.store, exact: values.exact, efSearch: num(values['ef-search']) }));
}

export const search: Command = async ({ catalogFile, args, values, io }) => {
  if (args.length > 1) throw new UsageError('put the query text in quotes: altmoe search "a dog barking"');
  const given = [args[0] !== undefined, values.image !== undefined, values.audio !== undefined, values.item !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError('search needs exactly one query: a text, --image FILE, --audio FILE or --item ID');
  const query: QueryInput =
    args[0] !== undefined
      ? { text: args[0] }
      : values.image !== undefined
        ? { image: path.resolve(values.image) }
        : values.audio !== undefined
          ? { audio: path.resolve(values.audio) }
          : { item: validated(itemId, num(values.item)) };
  const options = validated(
    searchOptionsSchema,
    definedOnly({ to: csv(values.to) ?? [...MODALITIES], k: num(values.k), minScore: num(values['min-score']), run: num(values.run), datasets: csv(values.datasets), splits: csv(values.splits), hybrid: values.semantic ? false : undefined, paths: values.paths || undefined, group: values['all-copies'] ? false : undefined }),
  );
  const storage = oneOf(values.storage, 'storage', ['float32', 'int8'] as const);
  const store = storeOptions(values);
  const catalog = Catalog.open(catalogFile, { create: false });
  const engine = new SearchEngine(catalog, { cacheDir: `${catalogFile}.index`, ...(storage ? { storage } : {}), ...store });
  try {
    // Every modality asked that can answer does (the default asks all three); the others say why on
    // stderr, as the UI does. Only when none can answer is it an error.
    const { hits, unavailable } = await engine.searchSections({ ...options, query, k: options.k ?? 10, ...(values.encoder ? { encoder: values.encoder } : {}) });
    if (unavailable.length === options.to.length) throw new UserError(unavailable.map((u) => u.reason).join('; '));
    for (const u of unavailable) io.err.write(`note: ${u.modality} cannot be searched from this query yet: ${u.reason}\n`);
    if (values.json) io.out(JSON.stringify(hits, null, 2));
    // The first column is what orders the list: the fused rank when words count, else the cosine.
    else {
      const fused = hits.some((h) => h.relevance !== undefined);
      const rows = hits.map((h) => [...(fused ? [(h.relevance ?? 0).toFixed(3)] : []), h.score.toFixed(3), h.matched?.join(' ') ?? '', h.modality, h.itemId, printable(h.dataset), printable(h.text ?? h.path ?? h.key), h.copies ? String(h.copies.length) : '', h.via]);
      io.out(table([...(fused ? ['rank score'] : []), 'cosine', 'words', 'modality', 'item', 'dataset', 'what', 'copies', 'via'], rows));
    }
    return 0;
  } finally {
    await engine.close();
    catalog.close();
  }
};
