import type { CatalogStats, ImportReport } from '../../../src-shared/types.ts';
import type { RunEvaluation } from '../connector/evaluate-run.ts';
import type { RunSummary } from '../connector/run.ts';
import type { CrossModalResult } from '../model/retrieval.ts';

/** A plain left-aligned text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return '(none)';
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function formatImportReport(r: ImportReport): string {
  const lines = [`imported ${r.format} into dataset "${r.dataset}" in ${r.seconds.toFixed(1)}s`];
  for (const [modality, c] of Object.entries(r.items)) {
    lines.push(`  ${modality}: ${c.added} added, ${c.updated} updated, ${c.unchanged} unchanged`);
  }
  if (r.format !== 'npy') lines.push(`  pairs: ${r.pairs.added} added, ${r.pairs.updated} updated, ${r.pairs.unchanged} unchanged`);
  if (r.vectors) lines.push(`  vectors: ${r.vectors.count} x ${r.vectors.dim} for encoder "${r.vectors.encoder}" (${r.vectors.replaced} replaced)`);
  if (r.missing.count > 0) {
    lines.push(`  missing media: ${r.missing.count} file(s) not found under ${r.root}, e.g. ${r.missing.examples.join(', ')}`);
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

export function formatStats(s: CatalogStats): string {
  const out = [`catalog ${s.file} (schema ${s.schemaVersion}, ${(s.sizeBytes / 1e6).toFixed(1)} MB)`];
  if (s.datasets.length === 0) out.push('no datasets yet: try "altmoe import"');
  for (const d of s.datasets) {
    out.push('', `dataset ${d.name} [${d.format}] root ${d.root}`);
    out.push(`  items: ${Object.entries(d.items).map(([m, n]) => `${n} ${m}`).join(', ') || 'none'}`);
    out.push(`  pairs: ${d.pairs.train} train, ${d.pairs.val} val, ${d.pairs.test} test, ${d.pairs.unassigned} unassigned`);
    for (const e of d.embeddings) out.push(`  vectors ${e.encoder} (${e.modality}, d=${e.dim}): ${e.count}/${e.of}`);
  }
  if (s.encoders.length > 0) {
    out.push('', table(['encoder', 'modality', 'dim', 'vectors'], s.encoders.map((e) => [e.name, e.modality, e.dim, e.vectors])));
  }
  return out.join('\n');
}

const pct = (x: number): string => (100 * x).toFixed(1);

function recallRows(label: string, r: CrossModalResult): (string | number)[] {
  return [label, pct(r.forward.r1), pct(r.forward.r5), pct(r.forward.r10), pct(r.backward.r1), pct(r.backward.r5), pct(r.backward.r10), r.rsum.toFixed(1)];
}

const RECALL_HEADER = ['', 'fwd R@1', 'R@5', 'R@10', 'bwd R@1', 'R@5', 'R@10', 'RSUM'];

export function formatRunSummary(name: string, status: string, s: RunSummary): string {
  const lines = [`run ${s.runId} "${name}": ${status}; best validation RSUM ${s.bestValRsum.toFixed(1)} at step ${s.bestStep}${s.stoppedEarly ? ' (stopped early)' : ''}`];
  for (const [pair, t] of Object.entries(s.test)) {
    lines.push('', `${pair} (fwd = ${pair.split('-')[0]} -> ${pair.split('-')[1]}):`);
    lines.push(table(RECALL_HEADER, [recallRows('connector', t.connector), recallRows('ridge (linear)', t.ridge), recallRows('neighbours', t.neighbours), ...(t.cca ? [recallRows('CCA', t.cca)] : [])]));
  }
  if (status !== 'done') lines.push('', `continue with: altmoe train --resume ${s.runId}`);
  return lines.join('\n');
}

export function formatEval(e: RunEvaluation): string {
  const lines = [`run ${e.runId}, ${e.split} split, ${e.head === 'mapped' ? 'contrastive' : 'prediction'} head`];
  for (const p of e.pairs) {
    lines.push('', `${p.pair}: ${p.items} items, ${p.captions} captions`);
    lines.push(table(RECALL_HEADER, [recallRows('connector', p.connector), recallRows('ridge (linear)', p.ridge), recallRows('neighbours', p.neighbours), ...(p.cca ? [recallRows('CCA', p.cca)] : [])]));
  }
  return lines.join('\n');
}
