import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImageProcessor, rawImage, type RawImage } from '../../src-main/core/encoders/hf.ts';
import { mulberry32 } from '../../src-main/core/util/rng.ts';
import { tempDir } from '../helpers.ts';

// The fused image path must give exactly what transformers.js' own processor gives, for the
// processor configurations real encoders ship with.
const CONFIGS: Record<string, object> = {
  vit: { image_processor_type: 'ViTImageProcessor', do_resize: true, size: { height: 224, width: 224 }, resample: 2, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] },
  clip: { image_processor_type: 'CLIPImageProcessor', do_resize: true, size: { shortest_edge: 224 }, resample: 3, do_center_crop: true, crop_size: { height: 224, width: 224 }, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, do_convert_rgb: true, image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711] },
  dinov2: { image_processor_type: 'BitImageProcessor', do_resize: true, size: { shortest_edge: 256 }, resample: 3, do_center_crop: true, crop_size: { height: 224, width: 224 }, do_rescale: true, rescale_factor: 0.00392156862745098, do_normalize: true, do_convert_rgb: true, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] },
  plain: { image_processor_type: 'ViTImageProcessor', do_resize: true, size: { height: 32, width: 48 }, resample: 0, do_center_crop: true, crop_size: 30, do_rescale: true, rescale_factor: 0.01, do_normalize: false, image_mean: 0.5, image_std: 0.25 },
  scalar_mean: { image_processor_type: 'ViTImageProcessor', do_resize: false, do_rescale: false, do_normalize: true, image_mean: 100, image_std: 50 },
  padded: { image_processor_type: 'ViTImageProcessor', do_resize: true, size: { height: 40, width: 40 }, resample: 2, do_rescale: true, rescale_factor: 1 / 255, do_normalize: false, do_pad: true, pad_size: { height: 48, width: 48 } },
};

function noise(width: number, height: number, seed: number): Promise<RawImage> {
  const rand = mulberry32(seed);
  const data = Uint8ClampedArray.from({ length: width * height * 3 }, () => Math.floor(rand() * 256));
  return rawImage(data, width, height, 3);
}

describe('image preprocessing', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    it(`${name}: the fused path gives the library's output bit for bit`, async () => {
      const dir = tempDir();
      fs.writeFileSync(path.join(dir, 'preprocessor_config.json'), JSON.stringify(config));
      const fused = await loadImageProcessor(dir);
      const library = await loadImageProcessor(dir, { fused: false });
      expect(fused.fused).toBe(name !== 'padded');
      expect(library.fused).toBe(false);
      // Same-size images for the processors that do not resize; mixed sizes (landscape, portrait, square, small) otherwise.
      const sizes: [number, number][] = name === 'scalar_mean' ? [[37, 23], [37, 23]] : [[301, 199], [150, 260], [224, 224], [61, 40]];
      const images = await Promise.all(sizes.map(([w, h], i) => noise(w, h, i + 1)));
      const a = (await fused(images)).pixel_values!;
      const b = (await library(images)).pixel_values!;
      expect(a.dims).toEqual(b.dims);
      expect(a.dims[0]).toBe(images.length);
      expect(a.type).toBe('float32');
      expect(Buffer.from((a.data as Float32Array).buffer).equals(Buffer.from((b.data as Float32Array).buffer))).toBe(true);
    });
  }

  it('leaves images of different final sizes to the library, which names the problem', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'preprocessor_config.json'), JSON.stringify(CONFIGS.scalar_mean));
    const fused = await loadImageProcessor(dir);
    await expect(fused([await noise(10, 10, 1), await noise(12, 10, 2)])).rejects.toThrow();
  });
});
