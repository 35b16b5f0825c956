// Titled drawings from Debian's openclipart-svg: each SVG's <dc:title> is its caption. Real image
// and caption data that is on the machine after the README's set-up (the demo and the quality
// benchmarks both read it).
import fs from 'node:fs';
import path from 'node:path';

export const CLIPART_DIR = '/usr/share/openclipart/svg';
export const CLIPART_PACKAGE = 'openclipart-svg';

function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.svg')) out.push(p);
  }
  return out;
}

/** Every drawing with a title (3-120 characters), sorted by path; paths relative to root. */
export function titledDrawings(root = CLIPART_DIR): { path: string; title: string }[] {
  if (!fs.existsSync(root)) throw new Error(`${root} is missing: apt-get install ${CLIPART_PACKAGE}`);
  const out: { path: string; title: string }[] = [];
  for (const f of walk(root).sort()) {
    const m = /<dc:title>([^<]{3,120})<\/dc:title>/.exec(fs.readFileSync(f, 'utf8'));
    if (m) out.push({ path: path.relative(root, f), title: m[1]!.replace(/[_-]+/g, ' ').trim() });
  }
  return out;
}
