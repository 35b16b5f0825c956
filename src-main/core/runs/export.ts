// Exports a trained connector for use outside the app: one standalone inference ONNX per direction,
// the parameters as safetensors, and a JSON card (encoders, dims, hashes, inputs, outputs, metrics).
import fs from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.ts';
import { altMoeModel, directionTask, normParams } from '../model/altmoe.ts';
import { buildInfer } from '../train/artifacts.ts';
import { ConnectorDataError } from './pair-data.ts';
import { writeSafetensors } from '../util/safetensors.ts';
import { buildGallery, buildQuery } from '../model/ensemble.ts';
import { runConfig, runPair, runParams, servedWith, type RunCheckpoint } from './config.ts';

export interface ExportResult {
  dir: string;
  files: string[];
}

export function exportConnector(catalog: Catalog, runId: number, outDir: string, checkpoint: RunCheckpoint = 'best'): ExportResult {
  const run = catalog.runs.get(runId);
  if (!run) throw new ConnectorDataError(`no run ${runId} (see "altmoe list runs")`);
  if (run.status !== 'done') throw new ConnectorDataError(`run ${runId} is ${run.status}; only a finished run can be exported (altmoe train --resume ${runId})`);
  const config = runConfig(catalog, runId);
  const spec = altMoeModel(config.model);
  // One pair: params.safetensors. Several: each pair's own checkpoint (config.ts, pairBestFile) in params.<a>-<b>.safetensors.
  const keys = config.pairs.map(([a, b]) => `${a}-${b}`);
  const paramsFile = (key: string): string => (keys.length > 1 ? `params.${key}.safetensors` : 'params.safetensors');
  const pairValues = new Map(keys.map((key) => [key, runParams(config, checkpoint, key)]));
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
    served: config.served ?? null,
    usage:
      'To search as the app does: feed raw pooled source vectors [N, d_source] to query.<source>-to-<target>.onnx (input "<source>", output "query") and raw target vectors [M, d_target] to gallery.<source>-to-<target>.onnx (input "<target>", output "gallery"), then rank by cosine similarity. These are what the run serves (the connector, or for auto runs its ensemble with training-free members, see "served"). infer.<source>-to-<target>.onnx is the bare connector: outputs "mapped" (contrastive head) and "pred" (prediction head) are in the target encoder\'s standardised space (standardise targets as (v - mean) * invstd with the numbers under "standardisation"). A run of several pairs serves each pair from its own best checkpoint on validation: each direction names its parameters file ("params").',
  };
  for (const [s, t] of directions) {
    const key = runPair(config, s, t).join('-');
    const values = pairValues.get(key)!;
    const served = servedWith(config, values, s, t);
    for (const [kind, model] of [['query', buildQuery(served.spec, served.values, served.ensemble, s, t)], ['gallery', buildGallery(served.spec, served.values, served.ensemble, t)]] as const) {
      const f = `${kind}.${s}-to-${t}.onnx`;
      fs.writeFileSync(path.join(outDir, f), model);
      files.push(f);
    }
    const file = `infer.${s}-to-${t}.onnx`;
    fs.writeFileSync(path.join(outDir, file), buildInfer(spec, directionTask(spec, s, t), values, ['mapped', 'pred'], { direction: `${s}->${t}`, run: String(runId) }));
    files.push(file);
    card.directions.push({
      file,
      params: paramsFile(key),
      source: s,
      target: t,
      inputs: [{ name: s, dtype: 'float32', shape: ['N', config.model.modalities[s]] }],
      outputs: [
        { name: 'mapped', dtype: 'float32', shape: ['N', config.model.modalities[t]], head: 'contrastive' },
        { name: 'pred', dtype: 'float32', shape: ['N', config.model.modalities[t]], head: 'prediction' },
      ],
    });
  }
  for (const [key, values] of pairValues) {
    // Standardisation is fixed before training, so every checkpoint holds the same.
    for (const m of key.split('-')) {
      const [mean, invstd] = normParams(m);
      const mv = values.get(mean);
      const iv = values.get(invstd);
      if (mv && iv) card.standardisation[m] = { mean: Array.from(mv), invstd: Array.from(iv) };
    }
    writeSafetensors(path.join(outDir, paramsFile(key)), Object.fromEntries(spec.params.map((p) => [p.name, { shape: p.shape, data: values.get(p.name)! }])), { model: JSON.stringify(config.model), pair: key });
    files.push(paramsFile(key));
  }
  fs.writeFileSync(path.join(outDir, 'card.json'), JSON.stringify(card, null, 2) + '\n');
  files.push('card.json');
  return { dir: outDir, files };
}
