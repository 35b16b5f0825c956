// Real pretrained image encoders from npm: the MobileNetV2 and InceptionV3 that ship inside the nsfwjs
// package (TF.js Keras weights, ImageNet networks fine-tuned to sort images into drawings, photos and
// unsafe classes, so their features lean towards those classes). We keep the pooled features (the
// layer before the classifier head: 1280-d and 2048-d) as the embedding, convert the network to ONNX
// and write a Hugging Face style folder the registry reads.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EncoderError } from './errors.ts';
import { convertKerasImageModel, decodeWeights, type KerasTopology, type WeightSpec } from './keras.ts';

export const MOBILENET_PACKAGE = 'nsfwjs';
/** The flattened global-average-pooled features: generic visual features, before the classifier head. */
export const FEATURE_LAYER = 'flatten_1';

/** The two networks in the package: folder, input size, feature width. */
export const NSFWJS_MODELS = {
  mobilenet: { folder: 'mobilenet_v2', title: 'MobileNetV2', modelType: 'mobilenet_v2', size: 224, dim: 1280 },
  inception: { folder: 'inception_v3', title: 'InceptionV3', modelType: 'inception_v3', size: 299, dim: 2048 },
} as const;
export type NsfwjsModel = keyof typeof NSFWJS_MODELS;

interface ShippedModel {
  topology: KerasTopology;
  weights: ReturnType<typeof decodeWeights>;
}

/** Loads the model files from the installed package (UMD modules: topology + base64 weights). */
export function loadShippedMobileNet(): ShippedModel {
  return loadShippedNsfwjsModel('mobilenet');
}

export function loadShippedNsfwjsModel(which: NsfwjsModel): ShippedModel {
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = path.resolve(path.dirname(require.resolve(MOBILENET_PACKAGE)), '../..');
  } catch {
    throw new EncoderError(`the image model is not installed: run \`npm install ${MOBILENET_PACKAGE}\` (from the npm registry)`);
  }
  const dir = path.join(root, 'dist', 'models', NSFWJS_MODELS[which].folder);
  const model = require(path.join(dir, 'model.min.js')) as { modelTopology: KerasTopology; weightsManifest: { paths: string[]; weights: WeightSpec[] }[] };
  const specs = model.weightsManifest.flatMap((g) => g.weights);
  const data = Buffer.concat(model.weightsManifest.flatMap((g) => g.paths.map((p) => Buffer.from(require(path.join(dir, `${p}.min.js`)) as string, 'base64'))));
  return { topology: model.modelTopology, weights: decodeWeights(specs, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) };
}

/** Writes the encoder folder (onnx/model.onnx, preprocessor_config.json, config.json). */
export function makeMobileNetEncoder(outDir: string, opts: { outputLayer?: string } = {}): { dir: string; layer: string; dim: number } {
  return makeNsfwjsEncoder('mobilenet', outDir, opts);
}

export function makeInceptionEncoder(outDir: string): { dir: string; layer: string; dim: number } {
  return makeNsfwjsEncoder('inception', outDir);
}

function makeNsfwjsEncoder(which: NsfwjsModel, outDir: string, opts: { outputLayer?: string } = {}): { dir: string; layer: string; dim: number } {
  const model = NSFWJS_MODELS[which];
  const { topology, weights } = loadShippedNsfwjsModel(which);
  const layer = opts.outputLayer ?? FEATURE_LAYER;
  const onnx = convertKerasImageModel(topology, weights, { outputLayer: layer, outputName: 'image_embeds' });
  const dir = path.resolve(outDir);
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  writeFileSync(path.join(dir, 'onnx', 'model.onnx'), onnx);
  const json = (name: string, value: unknown): void => writeFileSync(path.join(dir, name), JSON.stringify(value, null, 1));
  json('config.json', { model_type: model.modelType, source: `${MOBILENET_PACKAGE} (TF.js Keras), layer ${layer}`, tuned_for: 'NSFW classes (drawing, hentai, neutral, porn, sexy)' });
  // As nsfwjs feeds it: RGB scaled to [0, 1], bilinear resize to the network's size, no mean/std normalisation.
  json('preprocessor_config.json', { image_processor_type: 'ViTImageProcessor', do_resize: true, size: { height: model.size, width: model.size }, resample: 2, do_rescale: true, rescale_factor: 1 / 255, do_normalize: false });
  writeFileSync(
    path.join(dir, 'README.md'),
    `# ${model.title} image encoder\n\nConverted by AltMoE Studio from the TF.js model in the npm package \`${MOBILENET_PACKAGE}\`; output: layer \`${layer}\` (${model.dim}-d).\nThe network was fine-tuned to tell NSFW classes apart, not to describe pictures: its features are generic but lean that way.\n`,
  );
  return { dir, layer, dim: model.dim };
}
