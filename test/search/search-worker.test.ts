import { describe, expect, it } from 'vitest';
import { UserError } from '../../src-main/core/util/errors.ts';
import { SearchEngine } from '../../src-main/core/search/engine.ts';
import { SearchWorker } from '../../src-main/core/search/search-client.ts';
import { catalogWithVectors } from '../runs/fixtures.ts';

describe('search worker (the engine in its own thread, as the service runs it)', () => {
  it('answers as the engine does in the caller\'s thread, and keeps a bad query a user error', async () => {
    const { c } = await catalogWithVectors();
    const local = new SearchEngine(c);
    const worker = new SearchWorker(c.file);
    try {
      const item = c.db.prepare<[], { id: number }>("SELECT id FROM items WHERE modality = 'image' ORDER BY id LIMIT 1 OFFSET 4").get()!.id;
      const query = { query: { item }, to: ['image' as const], k: 5 };
      const [a, b] = await Promise.all([worker.search(query), local.search(query)]);
      expect(a).toHaveLength(5);
      expect(a).toEqual(b);
      const bad = worker.search({ query: { item: 999_999 }, to: ['image'] });
      await expect(bad).rejects.toBeInstanceOf(UserError);
      const expected = await local.search({ query: { item: 999_999 }, to: ['image'] }).then(() => null, (e: Error) => e.message);
      expect(expected).not.toBeNull();
      await expect(bad).rejects.toThrow(expected!);
    } finally {
      await worker.close();
      await local.close();
    }
  });
});
