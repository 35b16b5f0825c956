import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { SearchHit, SearchInput } from '../../../src-shared/api.ts';
import { MODALITIES, type Modality, type Split } from '../../../src-shared/types.ts';
import { api, message } from '../api.ts';
import { useAppStore } from './app.ts';

/** What a search asks: the part of the page's state that goes into the URL. */
export interface SearchState {
  q: string;
  /** "More like this": a catalog item instead of a text. */
  item: number | null;
  to: Modality[];
  k: number;
  run: number | null;
  dataset: string;
  split: '' | Split;
  words: boolean;
  paths: boolean;
  minScore: number | null;
}

export const DEFAULT_K = 24;

/** The search part of the URL (#/search?q=...&to=image,text&run=3), only what differs from the defaults. */
export function searchHash(s: SearchState, defaults: Modality[]): string {
  const p = new URLSearchParams();
  if (s.item !== null) p.set('item', String(s.item));
  else if (s.q) p.set('q', s.q);
  if (s.to.join(',') !== defaults.join(',')) p.set('to', s.to.join(','));
  if (s.run !== null) p.set('run', String(s.run));
  if (s.k !== DEFAULT_K) p.set('k', String(s.k));
  if (s.dataset) p.set('dataset', s.dataset);
  if (s.split) p.set('split', s.split);
  if (!s.words) p.set('words', '0');
  if (s.paths) p.set('paths', '1');
  if (s.minScore !== null) p.set('min', String(s.minScore));
  const query = p.toString().replace(/\+/g, '%20');
  return `#/search${query ? `?${query}` : ''}`;
}

/** The state a search URL describes (unknown or malformed parts fall back to the defaults). */
export function parseSearchHash(hash: string, defaults: Modality[]): SearchState {
  const p = new URLSearchParams(hash.replace(/^#\/search\??/, ''));
  const int = (v: string | null): number | null => (v !== null && /^\d+$/.test(v) ? Number(v) : null);
  const to = (p.get('to') ?? '').split(',').filter((m): m is Modality => (MODALITIES as readonly string[]).includes(m));
  const split = p.get('split');
  const min = p.get('min');
  return {
    q: p.get('q') ?? '',
    item: int(p.get('item')),
    to: to.length ? to : [...defaults],
    k: Math.min(200, Math.max(1, int(p.get('k')) ?? DEFAULT_K)),
    run: int(p.get('run')),
    dataset: p.get('dataset') ?? '',
    split: split === 'train' || split === 'val' || split === 'test' ? split : '',
    words: p.get('words') !== '0',
    paths: p.get('paths') === '1',
    minScore: min !== null && Number.isFinite(Number(min)) ? Number(min) : null,
  };
}

/**
 * The search page's state, kept while the user visits other pages: the query, its options, the
 * results. Text and item searches live in the URL too (Back, reload and a shared link find them).
 */
export const useSearchStore = defineStore('search', () => {
  const app = useAppStore();
  /** Modalities that can be searched at all: an encoder with vectors. */
  const searchable = computed<Modality[]>(() => MODALITIES.filter((m) => app.stats?.encoders.some((e) => e.modality === m && e.vectors > 0)));
  const state = ref<SearchState>(parseSearchHash('', [...MODALITIES]));
  const hits = ref<SearchHit[]>([]);
  const unavailable = ref<{ modality: Modality; reason: string; fix: 'add-encoder' | 'embed' | 'train' }[]>([]);
  const ms = ref<number | null>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);
  /** True once an answer takes longer than 150 ms: the page shows "searching…" then. */
  const slow = ref(false);
  const label = ref('');
  /** The URL of the search whose results are shown (so a hash change to the same search does not rerun it). */
  const shown = ref<string | null>(null);
  let seq = 0;

  async function run(query: SearchInput, what: string): Promise<void> {
    const s = state.value;
    if (s.to.length === 0) {
      error.value = 'Choose at least one modality to search.';
      return;
    }
    const mine = ++seq;
    busy.value = true;
    error.value = null;
    const timer = setTimeout(() => mine === seq && (slow.value = true), 150);
    try {
      const r = await api['search:query']({
        query,
        to: s.to,
        k: s.k,
        ...(s.minScore !== null ? { minScore: s.minScore } : {}),
        ...(s.dataset ? { datasets: [s.dataset] } : {}),
        ...(s.split ? { splits: [s.split] } : {}),
        ...(s.run !== null ? { run: s.run } : {}),
        ...(s.words ? {} : { hybrid: false }),
        ...(s.paths ? { paths: true } : {}),
      });
      if (mine !== seq) return;
      // The label changes with the results it describes, never ahead of them.
      hits.value = r.hits;
      unavailable.value = r.unavailable ?? [];
      ms.value = r.ms;
      label.value = what;
    } catch (err) {
      if (mine !== seq) return;
      hits.value = [];
      unavailable.value = [];
      ms.value = null;
      error.value = message(err);
    } finally {
      clearTimeout(timer);
      if (mine === seq) {
        busy.value = false;
        slow.value = false;
      }
    }
  }

  function clear(): void {
    seq++;
    hits.value = [];
    unavailable.value = [];
    ms.value = null;
    error.value = null;
    busy.value = false;
    slow.value = false;
    shown.value = null;
  }

  /** Where the Search tab goes back to: the search last shown, with its options. */
  const lastUrl = computed(() => shown.value ?? '#/search');
  return { searchable, state, lastUrl, hits, unavailable, ms, error, busy, slow, label, shown, run, clear };
});
