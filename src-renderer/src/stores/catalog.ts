import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { CatalogStats } from '../../../src-shared/types.ts';

export const useCatalogStore = defineStore('catalog', () => {
  const stats = ref<CatalogStats | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);

  async function refresh(): Promise<void> {
    if (!window.api) {
      error.value = 'The engine is not connected (window.api is missing).';
      return;
    }
    loading.value = true;
    try {
      stats.value = await window.api['catalog:stats']();
      error.value = null;
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    } finally {
      loading.value = false;
    }
  }

  return { stats, error, loading, refresh };
});
