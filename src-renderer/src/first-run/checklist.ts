// The first-run checklist: import -> encoders -> embed -> train -> search, each step's state read
// from the catalog (stats and runs), and what would move it on.
import type { RunInfo } from '../../../src-shared/api.ts';
import type { CatalogStats, Modality } from '../../../src-shared/types.ts';
import { BEST_NPM_ENCODER, type NpmEncoderKind } from '../../../src-shared/npm-encoders.ts';

/** The encoder each modality's build button makes: the best offline one by measurement (src-shared/npm-encoders.ts). */
export const NPM_ENCODER_FOR: Record<Modality, { kind: NpmEncoderKind; label: string }> = Object.fromEntries(
  Object.entries(BEST_NPM_ENCODER).map(([m, e]) => [m, { kind: e.kind, label: `${e.title} (${m})` }]),
) as Record<Modality, { kind: NpmEncoderKind; label: string }>;

export interface Step {
  id: 'import' | 'encoders' | 'embed' | 'train' | 'search';
  title: string;
  done: boolean;
  detail: string;
  /** Modalities without an encoder (encoders step), encoders with items left to embed (embed step). */
  missing: string[];
}

export function checklist(stats: CatalogStats | null, runs: readonly RunInfo[]): Step[] {
  const datasets = stats?.datasets ?? [];
  const encoders = stats?.encoders ?? [];
  const present = (['image', 'text', 'audio'] as const).filter((m) => datasets.some((d) => (d.items[m] ?? 0) > 0));
  const noEncoder = present.filter((m) => !encoders.some((e) => e.modality === m));
  const left = encoders.filter((e) => present.includes(e.modality)).flatMap((e) => {
    const todo = datasets.reduce((n, d) => n + d.embeddings.filter((x) => x.encoder === e.name).reduce((s, x) => s + (x.of - x.count), 0), 0);
    const of = datasets.reduce((n, d) => n + (d.items[e.modality] ?? 0), 0);
    return todo > 0 || e.vectors < of ? [e.name] : [];
  });
  const finished = runs.filter((r) => r.status === 'done');
  const items = datasets.reduce((n, d) => n + Object.values(d.items).reduce((a, b) => a + (b ?? 0), 0), 0);
  return [
    { id: 'import', title: 'Import a dataset', done: datasets.length > 0, detail: datasets.length > 0 ? `${datasets.length} dataset(s), ${items.toLocaleString('en-US')} items` : 'COCO, Flickr30k, Clotho, AudioCaps, a folder or a manifest', missing: [] },
    {
      id: 'encoders',
      title: 'An encoder per modality',
      done: present.length > 0 && noEncoder.length === 0,
      detail: noEncoder.length ? `no encoder for ${noEncoder.join(', ')}` : present.length ? `${present.join(', ')}: covered` : 'after an import',
      missing: noEncoder,
    },
    { id: 'embed', title: 'Embed the items', done: present.length > 0 && noEncoder.length === 0 && left.length === 0, detail: left.length ? `items left for ${left.join(', ')}` : encoders.length ? 'every item has its vectors' : 'after the encoders', missing: left },
    { id: 'train', title: 'Train the connector', done: finished.length > 0, detail: finished.length ? `${finished.length} finished run(s)` : 'pairs of modalities, the auto preset by default', missing: [] },
    { id: 'search', title: 'Search by anything', done: finished.length > 0 && left.length === 0, detail: finished.length ? 'text, images and sounds in one space' : 'after training', missing: [] },
  ];
}
