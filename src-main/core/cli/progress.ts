import type { Progress } from '../../../src-shared/types.ts';
import { REDRAW } from './render.ts';

/**
 * Progress on stderr: a self-updating line on a terminal, otherwise one line per phase and per
 * 10% so logs stay readable. Writes are synchronous, so they also appear during a long transaction.
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): { update: (p: Progress) => void; done: () => void } {
  const tty = stream.isTTY === true;
  const started = Date.now();
  let phase = '';
  let lastDecile = -1;
  let lastDraw = 0;
  let drawn = false;
  const format = (p: Progress): string => {
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (p.total === null || p.total === 0) return `${p.phase}: ${p.done.toLocaleString('en-US')} (${secs}s)`;
    const pct = Math.min(100, (100 * p.done) / p.total);
    return `${p.phase}: ${pct.toFixed(0)}% (${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}, ${secs}s)`;
  };
  return {
    update(p) {
      if (tty) {
        const now = Date.now();
        if (p.phase === phase && now - lastDraw < 100 && p.done !== p.total) return;
        lastDraw = now;
        if (p.phase !== phase && drawn) stream.write('\n');
        phase = p.phase;
        stream.write(`${REDRAW}${format(p)}`);
        drawn = true;
        return;
      }
      const decile = p.total ? Math.floor((10 * p.done) / p.total) : 0;
      if (p.phase !== phase || decile !== lastDecile) {
        phase = p.phase;
        lastDecile = decile;
        stream.write(`${format(p)}\n`);
      }
    },
    done() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
}
