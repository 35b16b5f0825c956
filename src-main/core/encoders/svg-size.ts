// An SVG's size as a browser sees it, handed to librsvg explicitly. A drawing sized in pt, mm, cm
// or in with no viewBox draws in user units (CSS px at 96 per inch), while libvips renders its
// canvas at 72 dpi: a quarter to most of the picture fell off the right and bottom edge. Giving the
// root a viewBox of its size in px and a width and height in px draws the whole picture, at the
// size asked for (a thumbnail renders sharp at 320 px, however small or large its source).

const PX_PER: Record<string, number> = { '': 1, px: 1, pt: 96 / 72, pc: 16, mm: 96 / 25.4, cm: 96 / 2.54, in: 96 };

/** The root <svg ...> start tag: attribute values in quotes may hold '>'. */
const ROOT = /<svg\b(?:[^>"']|"[^"]*"|'[^']*')*>/;

/** A length attribute in CSS px, or null when absent, relative (%) or not a length. */
function lengthPx(tag: string, name: string): number | null {
  const m = new RegExp(`\\s${name}\\s*=\\s*["']\\s*([+]?\\d*\\.?\\d+(?:e[+-]?\\d+)?)\\s*([a-z]*)\\s*["']`, 'i').exec(tag);
  if (!m) return null;
  const per = PX_PER[m[2]!.toLowerCase()];
  const v = Number(m[1]) * (per ?? NaN);
  return Number.isFinite(v) && v > 0 ? v : null;
}

function viewBoxOf(tag: string): [number, number, number, number] | null {
  const m = /\sviewBox\s*=\s*["']([^"']*)["']/i.exec(tag);
  const v = m?.[1]!.trim().split(/[\s,]+/).map(Number);
  return v && v.length === 4 && v.every(Number.isFinite) && v[2]! > 0 && v[3]! > 0 ? (v as [number, number, number, number]) : null;
}

export function looksLikeSvg(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 4096).toString('utf8');
  return /^\s*(?:\uFEFF)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg\b/i.test(head) || (/<svg\b/i.test(head) && /^\s*</.test(head));
}

/**
 * The SVG with a root viewBox and a width and height in px: its own size in px, or scaled so its
 * longer side is `longSide`. Unchanged when its size cannot be told (no viewBox and a relative or
 * missing width or height): librsvg's own choice stands.
 */
export function sizedSvg(bytes: Buffer, longSide?: number): Buffer {
  const text = bytes.toString('utf8');
  const root = ROOT.exec(text);
  if (!root) return bytes;
  const tag = root[0];
  const box = viewBoxOf(tag);
  const w = lengthPx(tag, 'width');
  const h = lengthPx(tag, 'height');
  // Without a viewBox the picture is in user units from (0, 0) over its width and height in px.
  const view = box ?? (w !== null && h !== null ? ([0, 0, w, h] as const) : null);
  if (!view) return bytes;
  // The size a browser gives it: width and height when set, else the viewBox's (one side set: the other by the aspect).
  const aspect = view[2] / view[3];
  const width = w ?? (h !== null ? h * aspect : view[2]);
  const height = h ?? (w !== null ? w / aspect : view[3]);
  const scale = longSide ? longSide / Math.max(width, height) : 1;
  const out = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
  const rest = tag
    .slice(4, -1)
    .replace(/\s(?:width|height|viewBox)\s*=\s*(?:"[^"]*"|'[^']*')/gi, '')
    .replace(/\/\s*$/, '');
  const selfClosing = /\/\s*>$/.test(tag);
  const rebuilt = `<svg width="${out.width}" height="${out.height}" viewBox="${view.join(' ')}"${rest}${selfClosing ? '/' : ''}>`;
  return Buffer.from(text.slice(0, root.index) + rebuilt + text.slice(root.index + tag.length), 'utf8');
}
