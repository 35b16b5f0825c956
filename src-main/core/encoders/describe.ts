// Works out what an encoder folder holds: modality, inputs to feed, output to pool and how, output
// dim and content hash, by reading the model's metadata and running it once on a synthetic item.
import path from 'node:path';
import type { Modality } from '../../../src-shared/types.ts';
import type { Provider } from '../onnx/runtime.ts';
import { EncoderError } from './errors.ts';
import { encoderHash, findOnnxFile, hasFile, PREPROCESSOR_FILES, TOKENIZER_FILES } from './folder.ts';
import { POOLINGS, type Pooling } from './pooling.ts';
import { createPreprocessor, type ModelInputs } from './preprocess.ts';
import { openEncoderSession, runEncoder } from './run-encoder.ts';
import { AUXILIARY_INPUTS, DEFAULT_POOLING, MODALITY_INPUTS, POOLED_OUTPUTS, type EncoderSpec } from './spec.ts';

export interface DescribeOptions {
  /** The ONNX file inside the folder (default: found). */
  file?: string;
  /** Needed only to pick a tower in multi-tower folders; checked against the model otherwise. */
  modality?: Modality;
  output?: string;
  pooling?: Pooling;
  provider?: Provider;
}

export async function describeEncoder(dirArg: string, opts: DescribeOptions = {}): Promise<{ spec: EncoderSpec; hash: string }> {
  const dir = path.resolve(dirArg);
  if (opts.pooling && !POOLINGS.includes(opts.pooling)) throw new EncoderError(`unknown pooling "${opts.pooling}" (${POOLINGS.join(', ')})`);
  const onnxFile = findOnnxFile(dir, opts);
  const session = await openEncoderSession(onnxFile, { provider: opts.provider ?? 'cpu' });
  try {
    const inputNames = session.inputs.map((i) => i.name);
    const modality = detectModality(inputNames, onnxFile);
    if (opts.modality && opts.modality !== modality) throw new EncoderError(`${path.basename(onnxFile)} is a ${modality} encoder, not ${opts.modality}`);
    const inputs: ModelInputs = {};
    for (const info of session.inputs) {
      if (!(MODALITY_INPUTS[modality].includes(info.name) || (AUXILIARY_INPUTS as readonly string[]).includes(info.name))) {
        throw new EncoderError(`${path.basename(onnxFile)} needs an input "${info.name}" that AltMoE Studio cannot provide (it feeds ${[...MODALITY_INPUTS[modality], ...AUXILIARY_INPUTS].join(', ')})`);
      }
      inputs[info.name] = info.type;
    }
    if (modality === 'text' && !hasFile(dir, TOKENIZER_FILES)) throw new EncoderError(`${dir} has no tokenizer (${TOKENIZER_FILES.join(' or ')}); a text encoder needs one`);
    if (modality !== 'text' && !hasFile(dir, PREPROCESSOR_FILES)) throw new EncoderError(`${dir} has no ${PREPROCESSOR_FILES[0]}; an ${modality} encoder needs one to prepare its input`);
    const { outputs, pooling } = chooseOutputs(session.outputs.map((o) => ({ name: o.name, rank: o.shape.length })), modality, opts);
    const pre = await createPreprocessor(dir, modality, inputs);
    const probe = await runEncoder(session, { inputs, outputs, pooling }, await pre.probe());
    if (probe.dim <= 0 || !probe.data.every(Number.isFinite)) throw new EncoderError(`${path.basename(onnxFile)} gave no usable vector on a test input`);
    const spec: EncoderSpec = { dir, onnxFile: path.relative(dir, onnxFile), modality, inputs, outputs, pooling, dim: probe.dim };
    const hash = await encoderHash(dir, onnxFile, { outputs, pooling });
    return { spec, hash };
  } finally {
    await session.release();
  }
}

function detectModality(inputNames: string[], onnxFile: string): Modality {
  for (const [modality, names] of Object.entries(MODALITY_INPUTS) as [Modality, readonly string[]][]) {
    if (names.some((n) => inputNames.includes(n))) return modality;
  }
  throw new EncoderError(
    `${path.basename(onnxFile)} is not an encoder AltMoE Studio knows: its inputs are ${inputNames.join(', ') || 'none'}; expected input_ids (text), pixel_values (image) or input_features / input_values (audio)`,
  );
}

function chooseOutputs(available: { name: string; rank: number }[], modality: Modality, opts: DescribeOptions): { outputs: string[]; pooling: Pooling } {
  const names = available.map((o) => o.name);
  const layers = names.filter((n) => /^hidden_states\.\d+$/.test(n)).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  if (opts.pooling === 'mean-last-two') {
    if (layers.length < 2) throw new EncoderError(`pooling "mean-last-two" needs hidden_states.N outputs; this model has ${names.join(', ')}`);
    return { outputs: layers.slice(-2), pooling: 'mean-last-two' };
  }
  let output = opts.output;
  if (output !== undefined && !names.includes(output)) throw new EncoderError(`the model has no output "${output}" (it has ${names.join(', ')})`);
  output ??= POOLED_OUTPUTS.find((n) => names.includes(n)) ?? (names.includes('last_hidden_state') ? 'last_hidden_state' : names.length === 1 ? names[0] : undefined);
  if (output === undefined) throw new EncoderError(`cannot tell which output is the embedding (${names.join(', ')}); choose one with --output`);
  const rank = available.find((o) => o.name === output)!.rank;
  const pooling = opts.pooling ?? (rank === 2 ? 'none' : DEFAULT_POOLING[modality]);
  return { outputs: [output], pooling };
}
