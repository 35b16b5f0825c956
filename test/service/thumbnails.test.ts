// Thumbnails show the whole picture: every drawing of the demo set, thumbnailed as the app does
// (previewImage), against Chromium's rendering of the same file as an <img> (an independent SVG
// renderer: intrinsic size from width, height and viewBox in any unit). Their content boxes (the
// drawn pixels' bounds, as fractions of the image) must agree. Before the fix, drawings sized in
// pt, mm, cm or in without a viewBox lost their right and bottom parts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIPART_DIR } from '../../src-main/core/demo/clipart.ts';
import { demoDrawings } from '../../src-main/core/demo/demo.ts';
import { previewImage } from '../../src-main/core/service/media.ts';

const SIZE = 64;
/** A pixel counts as drawn above this alpha. */
const ALPHA = 16;
type Box = [number, number, number, number];
/** The few browser types the page's code uses (this file is type-checked as Node code). */
interface BrowserImage { src: string; naturalWidth: number; naturalHeight: number; onload: (() => void) | null; onerror: (() => void) | null }
interface BrowserCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { drawImage(img: BrowserImage, x: number, y: number, w: number, h: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** Bounds of the pixels with alpha above a quarter, as fractions of width and height (null: nothing drawn). */
function contentBox(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Box | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (rgba[(y * width + x) * 4 + 3]! > ALPHA) {
        x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
      }
  return x1 < 0 ? null : [x0 / width, y0 / height, (x1 + 1) / width, (y1 + 1) / height];
}

describe.runIf(existsSync(CLIPART_DIR) && existsSync('/usr/bin/chromium'))('thumbnails of the demo drawings', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--headless', '--disable-gpu'] });
  });
  afterAll(async () => browser?.close());

  it('every drawing: the thumbnail holds the whole picture Chromium draws', async () => {
    const drawings = demoDrawings();
    const page = await browser.newPage();
    const mismatched: string[] = [];
    let compared = 0;
    const BATCH = 100;
    for (let start = 0; start < drawings.length; start += BATCH) {
      const batch = drawings.slice(start, start + BATCH).map((d) => ({ path: d.path, bytes: readFileSync(path.join(CLIPART_DIR, d.path)) }));
      // Both renderers at once: Chromium in its own processes, librsvg on libvips' threads.
      const [theirs, ours] = await Promise.all([
        page.evaluate(
          async ({ svgs, size, alpha }) =>
            Promise.all(
              svgs.map(async (b64) => {
                const img = new (globalThis as unknown as { Image: new () => BrowserImage }).Image();
                const src = `data:image/svg+xml;base64,${b64}`;
                // Loaded, not decoded: decode() would rasterise each drawing at its full size first.
                const loaded = await new Promise<boolean>((resolve) => {
                  img.onload = () => resolve(true);
                  img.onerror = () => resolve(false);
                  img.src = src;
                });
                if (!loaded) return null;
                if (!img.naturalWidth || !img.naturalHeight) return null;
                const scale = size / Math.max(img.naturalWidth, img.naturalHeight);
                const w = Math.max(1, Math.round(img.naturalWidth * scale)), h = Math.max(1, Math.round(img.naturalHeight * scale));
                const canvas = (globalThis as unknown as { document: { createElement(tag: 'canvas'): BrowserCanvas } }).document.createElement('canvas');
                canvas.width = w;
                canvas.height = h;
                const ctx = canvas.getContext('2d')!;
                ctx.drawImage(img, 0, 0, w, h);
                const data = ctx.getImageData(0, 0, w, h).data;
                let x0 = w, y0 = h, x1 = -1, y1 = -1;
                for (let y = 0; y < h; y++)
                  for (let x = 0; x < w; x++)
                    if (data[(y * w + x) * 4 + 3]! > alpha) {
                      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
                    }
                return x1 < 0 ? null : [x0 / w, y0 / h, (x1 + 1) / w, (y1 + 1) / h];
              }),
            ),
          { svgs: batch.map((b) => b.bytes.toString('base64')), size: SIZE, alpha: ALPHA },
        ),
        Promise.all(
          batch.map(async (d) => {
            // A file librsvg cannot parse gets no thumbnail (the demo leaves it out too).
            const r = await previewImage(d.bytes, SIZE).ensureAlpha().raw().toBuffer({ resolveWithObject: true }).catch(() => null);
            return r ? contentBox(r.data, r.info.width, r.info.height) : null;
          }),
        ),
      ]);
      for (const [i, d] of batch.entries()) {
        const a = ours[i], b = theirs[i] as Box | null;
        // Nothing drawn by one of them (an unreadable file, or hairlines too faint at this size): no comparison.
        if (!a || !b) continue;
        compared++;
        // Three pixels of 64 for anti-aliasing and the two renderers' rounding.
        if (a.some((v, j) => Math.abs(v - b[j]!) > 3 / SIZE)) mismatched.push(`${d.path}: ours ${a.map((v) => v.toFixed(2))} chromium ${b.map((v) => v.toFixed(2))}`);
      }
    }
        console.log(`thumbnails: ${compared} drawings compared with Chromium, ${mismatched.length} differ:\n${mismatched.join('\n')}`);
    // Chromium draws no SVG without the SVG namespace (librsvg does): about a fifth of these.
    expect(compared).toBeGreaterThan(0.75 * drawings.length);
    expect(mismatched.length / compared).toBeLessThan(0.01);
  }, 240_000);
});
