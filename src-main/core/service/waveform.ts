// A sound's thumbnail: its waveform (the peak level per column, mirrored around the middle), drawn
// into raw pixels and encoded by sharp, so a result grid shows what each clip looks like.
import sharp from 'sharp';

const BACKGROUND = [246, 247, 250];
const INK = [59, 91, 219];

/** A WebP picture (width x height) of the samples' envelope, scaled so the loudest column fills it. */
export async function waveformImage(samples: Float32Array, width = 320, height = 64): Promise<Buffer> {
  const peaks = new Float32Array(width);
  const per = Math.max(1, samples.length / width);
  for (let x = 0; x < width; x++) {
    let peak = 0;
    for (let i = Math.floor(x * per); i < Math.min(samples.length, Math.floor((x + 1) * per)); i++) peak = Math.max(peak, Math.abs(samples[i]!));
    peaks[x] = peak;
  }
  const top = Math.max(1e-6, ...peaks);
  const pixels = Buffer.alloc(width * height * 3);
  const mid = (height - 1) / 2;
  for (let x = 0; x < width; x++) {
    // At least one pixel, so silence still draws a line.
    const half = Math.max(0.5, (peaks[x]! / top) * mid);
    for (let y = 0; y < height; y++) {
      const colour = Math.abs(y - mid) <= half ? INK : BACKGROUND;
      pixels.set(colour, (y * width + x) * 3);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).webp({ quality: 85 }).toBuffer();
}
