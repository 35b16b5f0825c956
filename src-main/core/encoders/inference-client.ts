// The caller's side of the inference worker: one promise per batch, in submission order.
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { Provider } from '../onnx/runtime.ts';
import { spawnWorker } from '../util/workers.ts';
import { EncoderError } from './errors.ts';
import type { InferenceReply, InferenceRequest } from './inference-worker.ts';
import type { PreparedBatch } from './preprocess.ts';
import type { Pooled } from './run-encoder.ts';
import type { EncoderSpec } from './spec.ts';

export class InferenceWorker {
  private readonly pending = new Map<number, { resolve: (p: Pooled) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly provider: string,
  ) {
    worker.on('message', (m: InferenceReply) => {
      if (m.kind === 'result' || m.kind === 'error') {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.kind === 'result') p?.resolve({ data: m.data, dim: m.dim });
        else p?.reject(new EncoderError(m.message));
      }
    });
    const fail = (err: Error): void => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (code !== 0) fail(new EncoderError(`the inference worker exited unexpectedly (code ${code})`));
    });
  }

  static start(spec: EncoderSpec, options: { provider?: Provider; threads?: number; onWarning?: (m: string) => void } = {}): Promise<InferenceWorker> {
    const worker = spawnWorker(new URL('./inference-worker.ts', import.meta.url), 'inference-worker', {
      spec,
      onnxPath: path.join(spec.dir, spec.onnxFile),
      provider: options.provider ?? 'cpu',
      threads: options.threads,
    });
    return new Promise((resolve, reject) => {
      const onMessage = (m: InferenceReply): void => {
        if (m.kind === 'warning') options.onWarning?.(m.message);
        else if (m.kind === 'ready') {
          worker.off('message', onMessage);
          worker.on('message', (w: InferenceReply) => {
            if (w.kind === 'warning') options.onWarning?.(w.message);
          });
          resolve(new InferenceWorker(worker, m.provider));
        } else if (m.kind === 'error') {
          void worker.terminate();
          reject(new EncoderError(m.message));
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  }

  run(batch: PreparedBatch): Promise<Pooled> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const transfer = [...new Set(Object.values(batch.feeds).map((t) => t.data.buffer as ArrayBuffer))];
      this.worker.postMessage({ id, batch } satisfies InferenceRequest, transfer);
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ id: -1, close: true } satisfies InferenceRequest);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), 5000);
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
