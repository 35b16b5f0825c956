// How the default near-duplicate threshold was chosen (run by bench:map): real openclipart drawings
// and edited copies of them (resized, JPEG-compressed, cropped, padded), encoded by the app's
// MobileNetV2 image encoder (from the nsfwjs npm package). Copies are what a duplicate finder must
// find; every pair of two different drawings is a chance for a false positive. The threshold is
// the lowest on a 0.001 grid at which at most 1 in 10,000 distinct pairs is linked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { CLIPART_DIR, titledDrawings } from '../src-main/core/demo/clipart.ts';
import { Encoder } from '../src-main/core/encoders/encoder.ts';
import { makeMobileNetEncoder } from '../src-main/core/encoders/mobilenet.ts';
import { describeEncoder } from '../src-main/core/encoders/describe.ts';
import { normalizeRows } from '../src-main/core/index/exact.ts';
import { mulberry32, permutation } from '../src-main/core/util/rng.ts';

/** At most 1 in 10,000 pairs of different drawings linked. */
const MAX_FALSE_PAIR_RATE = 1e-4;

const EDITS: Record<string, (img: Sharp) => Sharp> = {
  'resized to 60%': (img) => img.resize(154, 154),
  'jpeg q40': (img) => img.jpeg({ quality: 40 }),
  'cropped 6%': (img) => img.extract({ left: 15, top: 15, width: 226, height: 226 }),
  'padded 10%': (img) => img.extend({ top: 26, bottom: 26, left: 26, right: 26, background: '#ffffff' }),
};

export interface ThresholdStudy {
  encoder: string;
  drawings: number;
  copies: number;
  distinctPairs: number;
  /** Pairs of different files that render to the same picture (left out of the distinct pairs). */
  samePicturePairs: number;
  centered: boolean;
  chosen: number;
  /** At the chosen threshold: copies found, distinct pairs linked, and drawings with any false link. */
  copyRecall: number;
  falsePairRate: number;
  falselyFlaggedDrawings: number;
  perEdit: Record<string, { found: number; medianSim: number }>;
  /** The most similar distinct pairs: often the same drawing twice in the collection. */
  topFalse: { sim: number; a: string; b: string }[];
  curve: { threshold: number; copyRecall: number; falsePairRate: number }[];
}

export async function thresholdStudy(drawings = 400, seed = 7, center = true): Promise<ThresholdStudy> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-dupstudy-'));
  try {
    const all = titledDrawings();
    const picked = Array.from(permutation(all.length, mulberry32(seed)).subarray(0, drawings), (i) => all[i]!);
    const files: string[] = [];
    const names: string[] = [];
    const thumbs: Uint8Array[] = [];
    const copyFiles: { of: number; edit: string; file: string }[] = [];
    for (const [i, d] of picked.entries()) {
      // The original as the catalog would hold it, rendered once to a 256 px PNG (white backdrop).
      const base = await sharp(path.join(CLIPART_DIR, d.path), { density: 96 }).resize(256, 256, { fit: 'contain', background: '#ffffff' }).flatten({ background: '#ffffff' }).png().toBuffer().catch(() => null);
      if (!base) continue;
      const file = path.join(work, `${i}.png`);
      fs.writeFileSync(file, base);
      files.push(file);
      names.push(d.path);
      thumbs.push(new Uint8Array(await sharp(base).resize(32, 32).greyscale().raw().toBuffer()));
      for (const [edit, f] of Object.entries(EDITS)) {
        const out = path.join(work, `${i}-${edit.replace(/\W+/g, '_')}.${edit.startsWith('jpeg') ? 'jpg' : 'png'}`);
        await f(sharp(base)).toFile(out);
        copyFiles.push({ of: files.length - 1, edit, file: out });
      }
    }
    const { spec } = await describeEncoder(makeMobileNetEncoder(path.join(work, 'mobilenet')).dir);
    const encoder = await Encoder.open(spec);
    const encode = async (list: string[]): Promise<Float32Array> => {
      const out = new Float32Array(list.length * spec.dim);
      for (let s = 0; s < list.length; s += 32) {
        const r = await encoder.encode(list.slice(s, s + 32).map((file) => ({ file })));
        r.forEach((e, j) => {
          if ('error' in e) throw new Error(e.error);
          out.set(e.vector, (s + j) * spec.dim);
        });
      }
      return normalizeRows(out, spec.dim);
    };
    let orig = await encode(files);
    let copies = await encode(copyFiles.map((c) => c.file));
    if (center) {
      // As the finder does: cosine after subtracting the collection's mean vector.
      const mean = new Float32Array(spec.dim);
      for (let i = 0; i < files.length; i++) for (let k = 0; k < spec.dim; k++) mean[k]! += orig[i * spec.dim + k]! / files.length;
      const sub = (x: Float32Array): Float32Array => normalizeRows(x.map((v, i) => v - mean[i % spec.dim]!), spec.dim);
      orig = sub(orig);
      copies = sub(copies);
    }
    await encoder.close();
    const dot = (a: Float32Array, i: number, b: Float32Array, j: number): number => {
      let s = 0;
      for (let k = 0; k < spec.dim; k++) s += a[i * spec.dim + k]! * b[j * spec.dim + k]!;
      return s;
    };
    const pos = copyFiles.map((c, j) => ({ edit: c.edit, sim: dot(orig, c.of, copies, j) }));
    const neg: number[] = [];
    const negOf: [number, number][] = [];
    let samePicture = 0;
    // Two files that render to the same picture (the same clipart filed twice, blank renders) are
    // duplicates, not false positives: pairs whose 32 px thumbnails differ by under 3% are left out.
    const mad = (a: Uint8Array, b: Uint8Array): number => a.reduce((s, v, k) => s + Math.abs(v - b[k]!), 0) / (a.length * 255);
    for (let i = 0; i < files.length; i++) {
      for (let j = i + 1; j < files.length; j++) {
        if (mad(thumbs[i]!, thumbs[j]!) < 0.03) {
          samePicture++;
          continue;
        }
        neg.push(dot(orig, i, orig, j));
        negOf.push([i, j]);
      }
    }
    const curve: ThresholdStudy['curve'] = [];
    let chosen = 1;
    for (let t = 0.9; t <= 1.0000001; t += 0.001) {
      const threshold = Math.round(t * 1000) / 1000;
      const falsePairRate = neg.filter((s) => s >= threshold).length / neg.length;
      const copyRecall = pos.filter((p) => p.sim >= threshold).length / pos.length;
      curve.push({ threshold, copyRecall, falsePairRate });
      if (falsePairRate <= MAX_FALSE_PAIR_RATE && chosen === 1) chosen = threshold;
    }
    const at = curve.find((c) => c.threshold === chosen)!;
    const flagged = new Set<number>();
    neg.forEach((s, k) => {
      if (s >= chosen) negOf[k]!.forEach((i) => flagged.add(i));
    });
    const topFalse = negOf.map((p, k) => ({ p, s: neg[k]! })).sort((a, b) => b.s - a.s).slice(0, 8).map(({ p, s }) => ({ sim: Math.round(s * 1e4) / 1e4, a: names[p[0]]!, b: names[p[1]]! }));
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    const perEdit = Object.fromEntries(Object.keys(EDITS).map((e) => [e, { found: pos.filter((p) => p.edit === e && p.sim >= chosen).length / pos.filter((p) => p.edit === e).length, medianSim: median(pos.filter((p) => p.edit === e).map((p) => p.sim)) }]));
    return { encoder: 'MobileNetV2 (nsfwjs), 1280-d', centered: center, drawings: files.length, copies: pos.length, distinctPairs: neg.length, samePicturePairs: samePicture, chosen, copyRecall: at.copyRecall, falsePairRate: at.falsePairRate, falselyFlaggedDrawings: flagged.size / files.length, perEdit, topFalse, curve: curve.filter((_, i) => i % 5 === 0) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await thresholdStudy(Number(process.argv[2] ?? 400), 7, process.argv[3] !== 'raw'), null, 2));
