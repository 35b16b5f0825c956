// The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data),
// as used by Hugging Face: checkpoints stay readable by other tools (Python's safetensors.numpy).
import fs from 'node:fs';
import path from 'node:path';
import { DiskFullError, isNoSpace } from './errors.ts';

export type StDtype = 'F32' | 'F64' | 'I64' | 'I32';
export type StArray = Float32Array | Float64Array | BigInt64Array | Int32Array;

export interface StTensor {
  dtype: StDtype;
  shape: number[];
  data: StArray;
}

const BYTES: Record<StDtype, number> = { F32: 4, F64: 8, I64: 8, I32: 4 };

function dtypeOf(a: StArray): StDtype {
  if (a instanceof Float32Array) return 'F32';
  if (a instanceof Float64Array) return 'F64';
  if (a instanceof BigInt64Array) return 'I64';
  return 'I32';
}

/** Writes tensors and string metadata atomically (temp file + rename: a crash leaves the old file). */
export function writeSafetensors(file: string, tensors: Record<string, { shape: number[]; data: StArray }>, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name]!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: ${name} has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: dtypeOf(t.data), shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const tmp = `${file}.tmp-${process.pid}`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, head);
      fs.writeSync(fd, json);
      for (const name of names) {
        const d = tensors[name]!.data;
        fs.writeSync(fd, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    // A half-written file never stays behind; the previous file (if any) is untouched.
    fs.rmSync(tmp, { force: true });
    if (isNoSpace(err)) {
      throw new DiskFullError(`the disk holding ${path.dirname(file)} is full: ${path.basename(file)} was not written${fs.existsSync(file) ? ' (its previous version is kept)' : ''}; free some space and try again`, { cause: err });
    }
    throw err;
  }
}

export function readSafetensors(file: string): { tensors: Record<string, StTensor>; metadata: Record<string, string> } {
  const buf = fs.readFileSync(file);
  if (buf.length < 8) throw new Error(`${file}: not a safetensors file (too short)`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw new Error(`${file}: truncated safetensors header`);
  let header: Record<string, { dtype: StDtype; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    throw new Error(`${file}: malformed safetensors header`);
  }
  const base = 8 + n;
  const tensors: Record<string, StTensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype: StDtype; shape: number[]; data_offsets: [number, number] };
    const [start, end] = e.data_offsets;
    if (!(e.dtype in BYTES) || base + end > buf.length) throw new Error(`${file}: bad entry ${name}`);
    const bytes = buf.subarray(base + start, base + end);
    // Copy into an aligned buffer of its own.
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    const data =
      e.dtype === 'F32' ? new Float32Array(copy.buffer) : e.dtype === 'F64' ? new Float64Array(copy.buffer) : e.dtype === 'I64' ? new BigInt64Array(copy.buffer) : new Int32Array(copy.buffer);
    if (data.length !== e.shape.reduce((a, b) => a * b, 1)) throw new Error(`${file}: ${name} does not match its shape`);
    tensors[name] = { dtype: e.dtype, shape: e.shape, data };
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string>) ?? {} };
}
