// An encoder ready to encode a few inputs at a time, e.g. search queries. The model runs in its own
// worker thread (as in the embedding job), so a large encoder never stalls the caller's thread: the
// CLI's, the HTTP server's request loop or Electron's main process.
import type { Provider } from '../onnx/runtime.ts';
import { EncoderError } from './errors.ts';
import { InferenceWorker } from './inference-client.ts';
import { createPreprocessor, type EncoderInput, type Preprocessor } from './preprocess.ts';
import { vectorProblem } from './run-encoder.ts';
import type { EncoderSpec } from './spec.ts';

export type Encoded = { vector: Float32Array } | { error: string };

export class Encoder {
  private constructor(
    readonly spec: EncoderSpec,
    private readonly worker: InferenceWorker,
    private readonly pre: Preprocessor,
  ) {}

  static async open(spec: EncoderSpec, options: { provider?: Provider; threads?: number; onWarning?: (m: string) => void } = {}): Promise<Encoder> {
    const pre = await createPreprocessor(spec.dir, spec.modality, spec.inputs);
    return new Encoder(spec, await InferenceWorker.start(spec, options), pre);
  }

  get provider(): string {
    return this.worker.provider;
  }

  /** One result per input, in order: its vector, or why it could not be encoded. */
  async encode(inputs: readonly EncoderInput[]): Promise<Encoded[]> {
    const batch = await this.pre.prepare(inputs);
    const results: Encoded[] = inputs.map(() => ({ error: 'not encoded' }));
    for (const e of batch.errors) results[e.index] = { error: e.message };
    if (batch.ok.length === 0) return results;
    const out = await this.worker.run(batch);
    batch.ok.forEach((index, r) => {
      const vector = out.data.slice(r * out.dim, (r + 1) * out.dim);
      const problem = vectorProblem(vector);
      results[index] = problem ? { error: problem } : { vector };
    });
    return results;
  }

  /** Encodes one input or throws its error. */
  async encodeOne(input: EncoderInput): Promise<Float32Array> {
    const r = (await this.encode([input]))[0]!;
    if ('error' in r) throw new EncoderError(r.error);
    return r.vector;
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
