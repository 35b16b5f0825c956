// An SVG's size handed to librsvg explicitly (svg-size.ts): the whole picture at the size asked for.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { looksLikeSvg, sizedSvg } from '../../src-main/core/encoders/svg-size.ts';
import { previewImage } from '../../src-main/core/service/media.ts';

/** A drawing whose ink reaches its right and bottom edges: a frame around its whole user space. */
const framed = (root: string, w: number, h: number): Buffer =>
  Buffer.from(`<?xml version="1.0"?>\n<!-- a comment -->\n<svg xmlns="http://www.w3.org/2000/svg" ${root}><rect x="0" y="0" width="${w}" height="${h}" fill="none" stroke="black" stroke-width="${w / 20}"/></svg>`);

/** Where the ink is, as fractions of the image: [left, top, right, bottom]. */
async function inkBox(bytes: Buffer, size: number): Promise<number[]> {
  const { data, info } = await previewImage(bytes, size).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  let [x0, y0, x1, y1] = [info.width, info.height, -1, -1];
  for (let y = 0; y < info.height; y++)
    for (let x = 0; x < info.width; x++)
      if (data[(y * info.width + x) * 4 + 3]! > 64) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  return [x0 / info.width, y0 / info.height, (x1 + 1) / info.width, (y1 + 1) / info.height];
}

describe('SVG sizes', () => {
  it('draws the whole picture of an SVG sized in pt, mm, cm or in without a viewBox (its user units are CSS px)', async () => {
    // 250pt x 150pt is 333.3 x 200 px: the user space the frame is drawn in.
    for (const [root, w, h] of [
      ['width="250pt" height="150pt"', 333.33, 200],
      ['width="100mm" height="50mm"', 377.95, 188.98],
      ['width="5cm" height="10cm"', 188.98, 377.95],
      ['width="2in" height="1in"', 192, 96],
    ] as const) {
      const box = await inkBox(framed(root, w, h), 200);
      for (const [i, edge] of [0, 0, 1, 1].entries()) expect(Math.abs(box[i]! - edge), `${root}: ${box}`).toBeLessThan(0.03);
      const { width, height } = await sharp(sizedSvg(framed(root, w, h), 200)).metadata();
      expect(Math.max(width!, height!)).toBe(200);
      expect(width! / height!).toBeCloseTo(w / h, 1);
    }
  });

  it('keeps a viewBox and its aspect; draws a small icon large; leaves alone what it cannot size', async () => {
    const icon = framed('width="22" height="16" viewBox="0 0 44 32"', 44, 32);
    expect((await sharp(sizedSvg(icon, 320)).metadata()).width).toBe(320);
    expect((await previewImage(icon, 320).toBuffer({ resolveWithObject: true })).info.width).toBe(320);
    const viewBoxOnly = framed('viewBox="10 10 100 50"', 100, 50);
    expect(sizedSvg(viewBoxOnly, 100).toString()).toMatch(/<svg width="100" height="50" viewBox="10 10 100 50" xmlns=/);
    // A relative size with no viewBox: nothing to go by, the file is unchanged.
    const relative = framed('width="100%" height="100%"', 10, 10);
    expect(sizedSvg(relative, 100).equals(relative)).toBe(true);
    // A '>' inside an attribute value does not end the root tag early.
    const quoted = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" data-x="a>b" width="10pt" height="10pt"><rect width="13" height="13"/></svg>');
    expect(sizedSvg(quoted, 40).toString()).toMatch(/^<svg width="40" height="40" viewBox="0 0 13\.3\d* 13\.3\d*" xmlns="http:\/\/www\.w3\.org\/2000\/svg" data-x="a>b"><rect/);
    expect(looksLikeSvg(quoted)).toBe(true);
    expect(looksLikeSvg(Buffer.from('\x89PNG\r\n'))).toBe(false);
  });
});
