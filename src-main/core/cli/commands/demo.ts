// altmoe demo [--items N] [--budget S] [--no-serve] [--reset]: a real catalog, trained and
// searchable, in one command (core/demo/demo.ts), then the UI on it.
import { Catalog } from '../../catalog/catalog.ts';
import { DEMO_BUDGET_SECONDS, DEMO_ITEMS, defaultDemoCatalog, resetDemo, type DemoProgress } from '../../demo/demo.ts';
import { demoInWorker } from '../../demo/demo-runner.ts';
import { UserError } from '../../util/errors.ts';
import { formatRunSummary } from '../render.ts';
import { noMoreArgs, num, positiveInt, withSigint, type Command } from '../args.ts';
import { serveCatalog } from './serve.ts';

const minutes = (s: number): string => (s >= 90 ? `about ${Math.round(s / 60)} min` : `about ${Math.max(1, Math.round(s))} s`);

export const demo: Command = async ({ values, io }) => {
  // --catalog picks another place; never the user's own catalog by default.
  const file = values.catalog ?? defaultDemoCatalog();
  if (values.reset) {
    noMoreArgs([]);
    const removed = resetDemo(file);
    io.out(removed.length ? `removed the demo: ${removed.join(', ')}` : `no demo at ${file}`);
    return 0;
  }
  const items = positiveInt(values.items, 'items', 100_000) ?? DEMO_ITEMS;
  const budget = values.budget === undefined ? DEMO_BUDGET_SECONDS : num(values.budget)!;
  if (!Number.isFinite(budget) || budget <= 0) throw new UserError('the time budget (seconds) must be a number above 0');
  const threads = positiveInt(values.threads, 'threads', 256);
  let last = '';
  const onProgress = (p: DemoProgress): void => {
    const line = `demo [${p.stage}/${p.of}] ${p.name}${p.total ? ` ${p.done ?? 0}/${p.total}` : ''}${p.etaSeconds !== null ? `, ${minutes(p.etaSeconds)} left in all` : ''}`;
    if (line !== last) io.err.write(`${line}\n`);
    last = line;
  };
  io.err.write(`demo catalog: ${file} (altmoe demo --reset removes it)\n`);
  // Created here so a bad path fails at once; the demo itself runs in a child process, which gives
  // its memory back before this process goes on serving.
  Catalog.open(file, { create: true }).close();
  const result = await withSigint((signal) => demoInWorker(file, { items, budgetSeconds: budget, ...(threads ? { threads } : {}) }, onProgress, signal, (m) => io.err.write(`warning: ${m}\n`)));
  if (values.json) io.out(JSON.stringify(result, null, 2));
  else {
    io.out(formatRunSummary('demo', 'done', result.summary));
    io.out('\nsample searches (test titles -> images, through the run):');
    for (const s of result.samples) io.out(`  "${s.query}": ${s.hits.map((h) => `"${h.title}" ${h.score.toFixed(2)}`).join(', ')}${s.foundOwn ? '  (its own drawing in the top 5)' : ''}`);
    io.out(`\n${result.reused ? 'reused the demo built before' : 'built the demo'} in ${result.seconds.toFixed(0)} s`);
  }
  if (values['no-serve']) return 0;
  io.out(`search it in the UI (the same catalog): altmoe serve --catalog ${file}`);
  return serveCatalog(file, values, io);
};
