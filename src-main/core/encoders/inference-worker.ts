// Runs an encoder model in its own thread, so that the embedding job can decode and tokenise the next
// batch while this one runs (session.run blocks the thread it runs on).
import { parentPort, workerData } from 'node:worker_threads';
import type { Provider } from '../onnx/runtime.ts';
import type { PreparedBatch } from './preprocess.ts';
import { openEncoderSession, runEncoder } from './run-encoder.ts';
import type { EncoderSpec } from './spec.ts';

export type InferenceRequest = { id: number; batch: PreparedBatch } | { id: -1; close: true };
export type InferenceReply =
  | { kind: 'ready'; provider: string }
  | { kind: 'warning'; message: string }
  | { kind: 'result'; id: number; data: Float32Array; dim: number }
  | { kind: 'error'; id: number; message: string };

const { spec, provider, threads } = workerData as { spec: EncoderSpec; onnxPath: string; provider: Provider; threads?: number };
const port = parentPort!;
const post = (m: InferenceReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

try {
  const session = await openEncoderSession((workerData as { onnxPath: string }).onnxPath, {
    provider,
    ...(threads ? { threads } : {}),
    onWarning: (message) => post({ kind: 'warning', message }),
  });
  post({ kind: 'ready', provider: session.provider });
  port.on('message', (req: InferenceRequest) => {
    if ('close' in req) {
      void session.release().then(() => port.close());
      return;
    }
    runEncoder(session, spec, req.batch).then(
      (out) => post({ kind: 'result', id: req.id, data: out.data, dim: out.dim }, [out.data.buffer as ArrayBuffer]),
      (err: unknown) => post({ kind: 'error', id: req.id, message: err instanceof Error ? err.message : String(err) }),
    );
  });
} catch (err) {
  post({ kind: 'error', id: -1, message: err instanceof Error ? err.message : String(err) });
}
