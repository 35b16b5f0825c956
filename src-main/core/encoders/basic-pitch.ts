// A real pretrained audio encoder from npm: Spotify's Basic Pitch, the note-transcription network that
// ships as a TF.js graph model inside @spotify/basic-pitch (Apache-2.0). It reads 2-second windows
// of 22,050 Hz audio and computes, per 11.6 ms frame, a constant-Q spectrogram (309 bins, in the graph) and
// three learned posteriorgrams: pitch contour (264 bins), notes and onsets (88 keys each). We keep
// all four per frame as the audio's states (749 values); the registry's masked mean pools them over a
// clip, which gives its average spectrum, pitch and note content. Clips of any length are cut into
// consecutive windows inside the ONNX graph, so the feature extractor only resamples.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Graph, type Tensor } from '../onnx/graph.ts';
import { EncoderError } from './errors.ts';
import { decodeWeights, type WeightSpec } from './keras.ts';
import { convertTfGraph, type TfNode, type TfWeights } from './tf-graph.ts';

export const BASIC_PITCH_PACKAGE = '@spotify/basic-pitch';
export const BASIC_PITCH_RATE = 22050;
/** Samples per window, as the model's input signature fixes it. */
export const BASIC_PITCH_WINDOW = 43844;
export const BASIC_PITCH_FRAMES = 172;

const PREFIX = 'StatefulPartitionedCall/model_1/';
/** The model's per-frame outputs we keep, with their TF nodes and widths, in output order. */
export const BASIC_PITCH_FEATURES = [
  { name: 'cqt', node: `${PREFIX}batch_normalization/FusedBatchNormV3`, width: 309, squeeze: true },
  { name: 'contour', node: 'Identity', width: 264, squeeze: false },
  { name: 'note', node: 'Identity_1', width: 88, squeeze: false },
  { name: 'onset', node: 'Identity_2', width: 88, squeeze: false },
] as const;

export interface ShippedGraphModel {
  nodes: TfNode[];
  weights: TfWeights;
  input: string;
}

/** Loads model.json and its weights from the installed package. */
export function loadShippedBasicPitch(): ShippedGraphModel {
  let dir: string;
  try {
    dir = path.join(path.dirname(createRequire(import.meta.url).resolve(`${BASIC_PITCH_PACKAGE}/package.json`)), 'model');
  } catch {
    throw new EncoderError(`the audio model is not installed: run \`npm install ${BASIC_PITCH_PACKAGE}\` (from the npm registry)`);
  }
  const model = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
    modelTopology: { node: TfNode[] };
    weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
    signature: { inputs: Record<string, { name: string }> };
  };
  const specs = model.weightsManifest.flatMap((m) => m.weights);
  const data = Buffer.concat(model.weightsManifest.flatMap((m) => m.paths.map((p) => readFileSync(path.join(dir, p)))));
  const input = Object.values(model.signature.inputs)[0]!.name.replace(/:0$/, '');
  return { nodes: model.modelTopology.node, weights: decodeWeights(specs, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)), input };
}

/**
 * ONNX: input_values [B, T] (mono, 22,050 Hz, any T) -> last_hidden_state [B, frames, 749], with
 * frames = 172 per started 2-second window. The last window is zero-padded.
 */
export function convertBasicPitch(model: ShippedGraphModel): Uint8Array {
  const g = new Graph('basic_pitch');
  const audio = g.input('input_values', 'float32', ['B', 'T']);
  const shape = g.node('Shape', [audio], [{ dtype: 'int64', shape: [2] }])[0]!;
  const slice = (t: Tensor, from: number, to: number): Tensor => g.node('Slice', [t, g.ints([from]), g.ints([to])], [{ dtype: 'int64', shape: [1] }])[0]!;
  const window = g.ints([BASIC_PITCH_WINDOW]);
  // Pad T up to a whole number of windows: (L - T mod L) mod L zeros at the end.
  const rest = g.node('Mod', [g.node('Sub', [window, g.node('Mod', [slice(shape, 1, 2), window], [{ dtype: 'int64', shape: [1] }])[0]!], [{ dtype: 'int64', shape: [1] }])[0]!, window], [{ dtype: 'int64', shape: [1] }])[0]!;
  const pads = g.node('Concat', [g.ints([0, 0, 0]), rest], [{ dtype: 'int64', shape: [4] }], { axis: { i: 0 } })[0]!;
  const padded = g.node('Pad', [audio, pads], [{ dtype: 'float32', shape: ['B', '?'] }])[0]!;
  const windows = g.node('Reshape', [padded, g.ints([-1, BASIC_PITCH_WINDOW, 1])], [{ dtype: 'float32', shape: ['N', BASIC_PITCH_WINDOW, 1] }])[0]!;

  const outputs = convertTfGraph(g, model.nodes, model.weights, { [model.input]: windows }, BASIC_PITCH_FEATURES.map((f) => f.node));
  const parts = outputs.map((t, i) => (BASIC_PITCH_FEATURES[i]!.squeeze ? g.node('Squeeze', [t, g.ints([3])], [{ dtype: 'float32', shape: ['N', BASIC_PITCH_FRAMES, '?'] }])[0]! : t));
  const width = BASIC_PITCH_FEATURES.reduce((n, f) => n + f.width, 0);
  const frames = g.node('Concat', parts, [{ dtype: 'float32', shape: ['N', BASIC_PITCH_FRAMES, width] }], { axis: { i: 2 } })[0]!;
  // Windows back to clips: [B * W, 172, D] -> [B, W * 172, D].
  const target = g.node('Concat', [slice(shape, 0, 1), g.ints([-1, width])], [{ dtype: 'int64', shape: [3] }], { axis: { i: 0 } })[0]!;
  const states = g.node('Reshape', [frames, target], [{ dtype: 'float32', shape: ['B', 'frames', width] }])[0]!;
  g.output(states, 'last_hidden_state');
  return g.toModel({ paramsAs: 'initializers', docString: `converted from the TF.js graph model in ${BASIC_PITCH_PACKAGE} by AltMoE Studio` });
}

/** Writes the encoder folder (onnx/model.onnx, preprocessor_config.json, config.json, README.md). */
export function makeBasicPitchEncoder(outDir: string): { dir: string; dim: number; features: string[] } {
  const onnx = convertBasicPitch(loadShippedBasicPitch());
  const dir = path.resolve(outDir);
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  writeFileSync(path.join(dir, 'onnx', 'model.onnx'), onnx);
  const json = (name: string, value: unknown): void => writeFileSync(path.join(dir, name), JSON.stringify(value, null, 1));
  const features = BASIC_PITCH_FEATURES.map((f) => `${f.name} (${f.width})`);
  json('config.json', { model_type: 'basic_pitch', source: `${BASIC_PITCH_PACKAGE} (TF.js graph model)`, features });
  // The raw waveform at the model's rate: the extractor resamples and passes samples through unchanged.
  json('preprocessor_config.json', { feature_extractor_type: 'Wav2Vec2FeatureExtractor', sampling_rate: BASIC_PITCH_RATE, feature_size: 1, padding_value: 0, do_normalize: false, return_attention_mask: false });
  writeFileSync(path.join(dir, 'README.md'), `# Basic Pitch audio encoder\n\nConverted by AltMoE Studio from the TF.js model in the npm package \`${BASIC_PITCH_PACKAGE}\` (Apache-2.0).\nPer frame: ${features.join(', ')}; pooled by the mean over each clip's frames.\n`);
  return { dir, dim: BASIC_PITCH_FEATURES.reduce((n, f) => n + f.width, 0), features };
}
