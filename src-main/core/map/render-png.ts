// A map as a PNG (altmoe map --out): points drawn into an RGBA buffer, coloured by dataset, split
// or modality, with a legend, encoded by sharp (already the app's image library).
import sharp from 'sharp';
import type { MapInfo } from '../../../src-shared/api.ts';
import { PALETTE } from '../../../src-shared/palette.ts';

export const COLOR_BY = ['dataset', 'split', 'modality'] as const;
export type ColorBy = (typeof COLOR_BY)[number];


export function legendOf(map: MapInfo, by: ColorBy): { labels: string[]; index: number[] } {
  if (by === 'dataset') return { labels: map.datasets, index: map.dataset };
  if (by === 'split') return { labels: map.splits, index: map.split };
  return { labels: map.modalities, index: map.modality };
}

const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

const escapeXml = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export async function renderMapPng(map: MapInfo, by: ColorBy, file: string, size = 1200): Promise<void> {
  const { labels, index } = legendOf(map, by);
  const px = new Uint8Array(size * size * 4).fill(255);
  const margin = 30;
  const scale = (size - 2 * margin) / 2;
  // Points a few pixels wide, alpha-blended so dense regions read as dense.
  const radius = map.ids.length > 20_000 ? 1 : 2;
  const alpha = map.ids.length > 20_000 ? 0.5 : 0.8;
  for (let i = 0; i < map.ids.length; i++) {
    const [r, g, b] = rgb(PALETTE[index[i]! % PALETTE.length]!);
    const cx = Math.round(margin + (map.x[i]! + 1) * scale);
    // Screen y grows downwards.
    const cy = Math.round(margin + (1 - map.y[i]!) * scale);
    for (let dy = -radius; dy <= radius; dy++) {
      for (let dx = -radius; dx <= radius; dx++) {
        if (dx * dx + dy * dy > radius * radius + 1) continue;
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= size || y >= size) continue;
        const o = (y * size + x) * 4;
        px[o] = Math.round(px[o]! * (1 - alpha) + r * alpha);
        px[o + 1] = Math.round(px[o + 1]! * (1 - alpha) + g * alpha);
        px[o + 2] = Math.round(px[o + 2]! * (1 - alpha) + b * alpha);
      }
    }
  }
  const used = [...new Set(index)].sort((a, b) => a - b);
  const rows = used.map((u, i) => `<rect x="12" y="${14 + i * 22}" width="14" height="14" fill="${PALETTE[u % PALETTE.length]}"/><text x="32" y="${26 + i * 22}" font-family="sans-serif" font-size="15">${escapeXml(labels[u] ?? '?')}</text>`);
  const legend = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><text x="${size - 12}" y="22" text-anchor="end" font-family="sans-serif" font-size="15">${escapeXml(`${map.space}: ${map.ids.length.toLocaleString('en-US')} points by ${by}`)}</text>${rows.join('')}</svg>`);
  await sharp(Buffer.from(px.buffer), { raw: { width: size, height: size, channels: 4 } })
    .composite([{ input: legend, top: 0, left: 0 }])
    .png()
    .toFile(file);
}
