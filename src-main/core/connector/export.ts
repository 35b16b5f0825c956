// Exports a trained connector for use outside the app: one standalone inference ONNX per direction,
// the parameters as safetensors, and a JSON card (encoders, dims, hashes, inputs, outputs, metrics).
import fs from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.ts';
import { altMoeModel, directionTask, normParams } from '../model/altmoe.ts';
import { buildInfer } from '../train/artifacts.ts';
import { writeSafetensors } from '../train/safetensors.ts';
import { runConfig, runParams } from './run.ts';

export interface ExportResult {
  dir: string;
  files: string[];
}

export function exportConnector(catalog: Catalog, runId: number, outDir: string): ExportResult {
  const run = catalog.runs.get(runId);
  if (!run) throw new Error(`no run ${runId}`);
  const config = runConfig(catalog, runId);
  const spec = altMoeModel(config.model);
  const values = runParams(config);
  fs.mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const directions = config.pairs.flatMap(([a, b]) => [[a, b], [b, a]] as const);
  const card = {
    format: 'altmoe-connector/1',
    run: { id: runId, name: run.name, status: run.status, preset: config.preset },
    model: config.model,
    encoders: Object.fromEntries(Object.entries(config.encoders).map(([m, e]) => [m, { ...e, dim: config.model.modalities[m] }])),
    directions: [] as object[],
    standardisation: {} as Record<string, { mean: number[]; invstd: number[] }>,
    metrics: catalog.metrics.forRun(runId).filter((m) => !m.split.startsWith('val')).map((m) => ({ split: m.split, name: m.name, value: m.value })),
    usage:
      'Feed raw pooled encoder vectors of the source modality as input "<source>" [N, d_source]. Output "mapped" (contrastive head) and "pred" (prediction head) are in the target encoder\'s standardised space: standardise target vectors as (v - mean) * invstd with the numbers under "standardisation", then rank them by cosine similarity.',
  };
  for (const [s, t] of directions) {
    const file = `infer.${s}-to-${t}.onnx`;
    fs.writeFileSync(path.join(outDir, file), buildInfer(spec, directionTask(spec, s, t), values, ['mapped', 'pred'], { direction: `${s}->${t}`, run: String(runId) }));
    files.push(file);
    card.directions.push({
      file,
      source: s,
      target: t,
      inputs: [{ name: s, dtype: 'float32', shape: ['N', config.model.modalities[s]] }],
      outputs: [
        { name: 'mapped', dtype: 'float32', shape: ['N', config.model.modalities[t]], head: 'contrastive' },
        { name: 'pred', dtype: 'float32', shape: ['N', config.model.modalities[t]], head: 'prediction' },
      ],
    });
  }
  for (const m of Object.keys(config.model.modalities)) {
    const [mean, invstd] = normParams(m);
    const mv = values.get(mean);
    const iv = values.get(invstd);
    if (mv && iv) card.standardisation[m] = { mean: Array.from(mv), invstd: Array.from(iv) };
  }
  writeSafetensors(path.join(outDir, 'params.safetensors'), Object.fromEntries(spec.params.map((p) => [p.name, { shape: p.shape, data: values.get(p.name)! }])), { model: JSON.stringify(config.model) });
  files.push('params.safetensors');
  fs.writeFileSync(path.join(outDir, 'card.json'), JSON.stringify(card, null, 2) + '\n');
  files.push('card.json');
  return { dir: outDir, files };
}
