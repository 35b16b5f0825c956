// A real pretrained image encoder from npm: the MobileNetV2 that ships inside the nsfwjs package
// (TF.js Keras weights, trained from ImageNet features to sort images into drawings, photos and
// unsafe classes). We keep its 1280-d pooled features (the layer before the classifier head) as
// the embedding, convert it to ONNX and write a Hugging Face style folder the registry reads.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EncoderError } from './errors.ts';
import { convertKerasImageModel, decodeWeights, type KerasTopology, type WeightSpec } from './keras.ts';

export const MOBILENET_PACKAGE = 'nsfwjs';
/** The flattened global-average-pooled features: generic visual features, before the classifier head. */
export const FEATURE_LAYER = 'flatten_1';

interface ShippedModel {
  topology: KerasTopology;
  weights: ReturnType<typeof decodeWeights>;
}

/** Loads the model files from the installed package (UMD modules: topology + base64 weights). */
export function loadShippedMobileNet(): ShippedModel {
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = path.resolve(path.dirname(require.resolve(MOBILENET_PACKAGE)), '../..');
  } catch {
    throw new EncoderError(`the image model is not installed: run \`npm install ${MOBILENET_PACKAGE}\` (from the npm registry)`);
  }
  const dir = path.join(root, 'dist', 'models', 'mobilenet_v2');
  const model = require(path.join(dir, 'model.min.js')) as { modelTopology: KerasTopology; weightsManifest: { paths: string[]; weights: WeightSpec[] }[] };
  const specs = model.weightsManifest.flatMap((g) => g.weights);
  const data = Buffer.concat(model.weightsManifest.flatMap((g) => g.paths.map((p) => Buffer.from(require(path.join(dir, `${p}.min.js`)) as string, 'base64'))));
  return { topology: model.modelTopology, weights: decodeWeights(specs, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) };
}

/** Writes the encoder folder (onnx/model.onnx, preprocessor_config.json, config.json). */
export function makeMobileNetEncoder(outDir: string, opts: { outputLayer?: string } = {}): { dir: string; layer: string } {
  const { topology, weights } = loadShippedMobileNet();
  const layer = opts.outputLayer ?? FEATURE_LAYER;
  const onnx = convertKerasImageModel(topology, weights, { outputLayer: layer, outputName: 'image_embeds' });
  const dir = path.resolve(outDir);
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  writeFileSync(path.join(dir, 'onnx', 'model.onnx'), onnx);
  const json = (name: string, value: unknown): void => writeFileSync(path.join(dir, name), JSON.stringify(value, null, 1));
  json('config.json', { model_type: 'mobilenet_v2', source: `${MOBILENET_PACKAGE} (TF.js Keras), layer ${layer}` });
  // As nsfwjs feeds it: RGB scaled to [0, 1], bilinear resize to 224 x 224, no mean/std normalisation.
  json('preprocessor_config.json', { image_processor_type: 'ViTImageProcessor', do_resize: true, size: { height: 224, width: 224 }, resample: 2, do_rescale: true, rescale_factor: 1 / 255, do_normalize: false });
  writeFileSync(path.join(dir, 'README.md'), `# MobileNetV2 image encoder\n\nConverted by AltMoE Studio from the TF.js model in the npm package \`${MOBILENET_PACKAGE}\`; output: layer \`${layer}\`.\n`);
  return { dir, layer };
}
