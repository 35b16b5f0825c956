import type { CatalogStats, ImportReport } from '../../../src-shared/types.ts';
import type { RunEvaluation } from '../runs/evaluate-run.ts';
import type { PairEvaluation, RunSummary } from '../runs/events.ts';
import { BASELINE_LABELS, TRAINED_MEMBERS, type MemberName } from '../model/ensemble.ts';
import type { CrossModalResult } from '../model/retrieval.ts';
import { FEW_VAL_ITEMS } from '../model/small-val.ts';
import { servedTrialNote } from '../../../src-shared/metric-keys.ts';

/** Dataset text for a terminal: control characters (escape sequences, newlines) shown as U+FFFD, never obeyed. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}

/** The progress line's own redraw (carriage return, erase line): the one control sequence the CLI writes itself. */
export const REDRAW = '\r\x1b[2K';

/**
 * All CLI output on its way to the terminal: control characters shown as U+FFFD (a file name's
 * `ESC[31m` or `ESC]0;title BEL` is printed, never obeyed), but for line breaks and tabs, and the
 * progress line's REDRAW when a write starts with it.
 */
export function terminalSafe(text: string): string {
  const redraw = text.startsWith(REDRAW);
  const body = (redraw ? text.slice(REDRAW.length) : text).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '\ufffd');
  return redraw ? REDRAW + body : body;
}

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
  if (r.vectors) lines.push(`  vectors: ${r.vectors.count} x ${r.vectors.dim} for encoder "${r.vectors.encoder}" (${r.vectors.added} added, ${r.vectors.replaced} replaced, ${r.vectors.unchanged} unchanged)`);
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


/** A pair's table: the connector, every tuned baseline with its chosen settings, chance, and the verdict. */
function pairTable(pair: string, p: PairEvaluation, label = 'connector'): string[] {
  const [a, b] = pair.split('-');
  const rows = [recallRows(label, p.connector)];
  for (const [name, r] of Object.entries(p.baselines)) rows.push([...recallRows(BASELINE_LABELS[name] ?? name, r.result), Object.entries(r.hyper).map(([k, v]) => `${k}=${v}`).join(' ')]);
  // A random ranking finds the one right caption (or item) in the top K with probability K / gallery.
  const chance = (k: number, n: number): string => pct(Math.min(1, k / n));
  const fwdN = p.captions;
  const bwdN = p.items;
  rows.push(['chance', chance(1, fwdN), chance(5, fwdN), chance(10, fwdN), chance(1, bwdN), chance(5, bwdN), chance(10, bwdN), (100 * (Math.min(1, 1 / fwdN) + Math.min(1, 5 / fwdN) + Math.min(1, 10 / fwdN) + Math.min(1, 1 / bwdN) + Math.min(1, 5 / bwdN) + Math.min(1, 10 / bwdN))).toFixed(1)]);
  return [`${pair} on ${p.split}: ${p.items} ${a} items, ${p.captions} ${b} captions (fwd = ${a} -> ${b}, bwd = ${b} -> ${a}; baselines tuned on val, and on training folds below ${FEW_VAL_ITEMS} val items)`, table([...RECALL_HEADER, 'tuned settings'], rows)];
}

/** One line: did training beat the best baseline (by RSUM) on this split? */
export function verdict(pairs: [string, PairEvaluation][]): string {
  return pairs
    .map(([pair, p]) => {
      const [bestName, best] = Object.entries(p.baselines).reduce((m, x) => (x[1].result.rsum > m[1].result.rsum ? x : m));
      const diff = p.connector.rsum - best.result.rsum;
      const how = diff > 0 ? `beat the best baseline (${BASELINE_LABELS[bestName] ?? bestName}) by +${diff.toFixed(1)}` : diff === 0 ? `tied with the best baseline (${BASELINE_LABELS[bestName] ?? bestName})` : `did not beat the best baseline (${BASELINE_LABELS[bestName] ?? bestName}): ${diff.toFixed(1)}`;
      return `${pair}: training ${how} RSUM on ${p.split}`;
    })
    .join('; ');
}

const WEIGHING: Record<string, string> = {
  ascent: 'coordinate ascent on val',
  equal: "equal weights (they held up better across val's two halves)",
  'small-val': 'equal weights (too few val items to fit weights on)',
};

/** "; weights image->text by ..., text->image by ...": how the auto ensemble chose its weights. */
function weighing(pair: string, w: Record<'a2b' | 'b2a', string> | undefined): string {
  if (!w) return '';
  const [a, b] = pair.split('-');
  return w.a2b === w.b2a ? `; weights by ${WEIGHING[w.a2b] ?? w.a2b}` : `; weights ${a}->${b} by ${WEIGHING[w.a2b] ?? w.a2b}, ${b}->${a} by ${WEIGHING[w.b2a] ?? w.b2a}`;
}

/** "; unpaired items 4945 image, 3783 text": what QB-Norm's bank could draw on beyond the training pairs. */
function unpairedNote(u: Record<string, number> | undefined): string {
  if (!u || Object.values(u).every((n) => n === 0)) return '';
  return `; unpaired items ${Object.entries(u).map(([m, n]) => `${n} ${m}`).join(', ')}`;
}

export function formatRunSummary(name: string, status: string, s: RunSummary, keptBytes = 0): string {
  const best = s.bestValScore >= 0 ? `best validation score ${s.bestValScore.toFixed(1)} (mean R@1/5/10 over val queries) at step ${s.bestStep}` : 'no validation yet';
  const lines = [`run ${s.runId} "${name}": ${status}; ${best}${s.stoppedEarly ? ' (stopped early)' : ''}`];
  if (s.auto) {
    lines.push(`auto kept trial ${s.auto.trial} (${s.auto.settings})`);
    for (const [pair, r] of Object.entries(s.auto.pairs)) {
      const [bestName, bestScore] = Object.entries(r.single).filter(([m]) => !TRAINED_MEMBERS.includes(m as MemberName)).reduce((m, x) => (x[1] > m[1] ? x : m));
      lines.push(`${pair} serves ${r.served}${servedTrialNote(r.trial, s.auto.trial)}: val score ${r.valScore.toFixed(1)}, connector alone ${r.single.connector.toFixed(1)}, best training-free ${BASELINE_LABELS[bestName] ?? bestName} ${bestScore.toFixed(1)} (${r.valScore - bestScore >= 0 ? '+' : ''}${(r.valScore - bestScore).toFixed(1)})${weighing(pair, r.weighing)}${unpairedNote(r.unpaired)}`);
    }
  }
  for (const [pair, t] of Object.entries(s.test)) lines.push('', ...pairTable(pair, t, s.auto ? 'served (auto)' : 'connector'));
  if (status !== 'done') {
    const kept = keptBytes > 0 ? `; its checkpoint (${(keptBytes / 1024 ** 3 >= 1 ? `${(keptBytes / 1024 ** 3).toFixed(1)} GB` : `${(keptBytes / 1024 ** 2).toFixed(0)} MB`)}) is kept for that, "altmoe delete-run ${s.runId}" frees it` : '';
    lines.push('', `continue with: altmoe train --resume ${s.runId}${kept}`);
  }
  else if (Object.keys(s.test).length > 0) lines.push('', verdict(Object.entries(s.test)));
  return lines.join('\n');
}

export function formatEval(e: RunEvaluation): string {
  const lines = [`run ${e.runId}, ${e.split} split, ${e.head === 'mapped' ? 'contrastive' : 'prediction'} head`, ...e.warnings.map((w) => `warning: ${w}`)];
  for (const p of e.pairs) lines.push('', ...(p.served ? [`serves ${p.served}`] : []), ...pairTable(p.pair, p, p.served ? 'served (auto)' : 'connector'));
  lines.push('', verdict(e.pairs.map((p) => [p.pair, p])));
  return lines.join('\n');
}
