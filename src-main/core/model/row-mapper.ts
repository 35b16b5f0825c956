// ONNX sessions that map raw vectors to one output, in row blocks (bounded memory per run).
import { createSession, tensor, type Session } from '../onnx/runtime.ts';

/** A session mapping raw vectors in row blocks to one output. */
export interface RowMapper {
  readonly dim: number;
  map(x: Float32Array): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function rowMapper(model: Uint8Array, input: string, inDim: number, output: string, dim: number): Promise<RowMapper> {
  // No arena: a gallery graph maps whole blocks once, then lives on in the search thread.
  const session: Session = await createSession(model, { arena: false });
  return {
    dim,
    async map(x) {
      const n = x.length / inDim;
      const out = new Float32Array(n * dim);
      for (let start = 0; start < n; start += 1024) {
        const rows = Math.min(1024, n - start);
        const r = await session.run({ [input]: tensor('float32', [rows, inDim], x.subarray(start * inDim, (start + rows) * inDim)) });
        out.set(r[output]!.data as Float32Array, start * dim);
      }
      return out;
    },
    release: () => session.release(),
  };
}

