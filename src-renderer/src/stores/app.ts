import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { FormatInfo, JobInfo, ProvidersResult, RunInfo, TrainEventInfo } from '../../../src-shared/api.ts';
import type { CatalogStats } from '../../../src-shared/types.ts';
import { api, message } from '../api.ts';

/** Catalog state, jobs and training events shared by every page. */
export const useAppStore = defineStore('app', () => {
  const stats = ref<CatalogStats | null>(null);
  const runs = ref<RunInfo[]>([]);
  const formats = ref<FormatInfo[]>([]);
  const providers = ref<ProvidersResult | null>(null);
  const jobs = ref<JobInfo[]>([]);
  const trainEvents = ref<Record<string, TrainEventInfo[]>>({});
  /** The run each training job writes (known from its first event). */
  const trainRuns = ref<Record<string, number>>({});
  const error = ref<string | null>(null);
  const loading = ref(false);
  /** Items picked on the map, to open in the search grid. */
  const mapSelection = ref<{ ids: number[]; label: string } | null>(null);

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      [stats.value, runs.value, jobs.value] = await Promise.all([api['catalog:stats'](), api['runs:list'](), api['jobs:list']()]);
      if (formats.value.length === 0) formats.value = await api['formats:list']();
      providers.value ??= await api['providers:list']();
      error.value = null;
    } catch (err) {
      error.value = message(err);
    } finally {
      loading.value = false;
    }
  }

  api.on('job:update', (job) => {
    const i = jobs.value.findIndex((j) => j.jobId === job.jobId);
    if (i >= 0) jobs.value[i] = job;
    else jobs.value.push(job);
    if (job.status !== 'running') void refresh();
  });
  api.on('train:event', ({ jobId, runId, event }) => {
    (trainEvents.value[jobId] ??= []).push(event);
    if (runId !== null) trainRuns.value[jobId] = runId;
  });

  return { stats, runs, formats, providers, jobs, trainEvents, trainRuns, error, loading, mapSelection, refresh };
});
