import fs from 'node:fs';
import { ImportError } from './errors.ts';

export type NpyDtype = 'float32' | 'float16';

export interface NpyHeader {
  dtype: NpyDtype;
  rows: number;
  cols: number;
  /** Byte offset of the first element. */
  dataOffset: number;
  itemSize: 2 | 4;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"

/**
 * Reads and checks the header of a NumPy .npy file holding a C-ordered little-endian float32 or
 * float16 matrix [N, d]; anything else is refused with the reason.
 */
export function readNpyHeader(file: string, fd: number): NpyHeader {
  const size = fs.fstatSync(fd).size;
  const head = Buffer.alloc(Math.min(size, 65536 + 12));
  fs.readSync(fd, head, 0, head.length, 0);
  if (head.length < 10 || !head.subarray(0, 6).equals(MAGIC)) throw new ImportError(`${file}: not a .npy file (bad magic bytes)`);
  const major = head[6]!;
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = head.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = head.readUInt32LE(8);
    start = 12;
  } else {
    throw new ImportError(`${file}: unsupported .npy version ${major}`);
  }
  if (start + headerLen > head.length) throw new ImportError(`${file}: truncated .npy header`);
  const header = head.subarray(start, start + headerLen).toString('latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new ImportError(`${file}: malformed .npy header: ${header.trim()}`);
  }
  let dtype: NpyDtype;
  if (descr === '<f4') dtype = 'float32';
  else if (descr === '<f2') dtype = 'float16';
  else throw new ImportError(`${file}: dtype ${descr} is not supported; save the vectors as little-endian float32 or float16 (e.g. arr.astype("<f4"))`);
  if (fortran === 'True') throw new ImportError(`${file}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray(arr)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.length !== 2 || shape.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new ImportError(`${file}: expected a 2-D array [N, d], got shape (${shapeText.trim()})`);
  }
  const [rows, cols] = shape as [number, number];
  if (rows === 0 || cols === 0) throw new ImportError(`${file}: empty array (shape ${rows} x ${cols})`);
  const itemSize = dtype === 'float32' ? 4 : 2;
  const dataOffset = start + headerLen;
  const expected = dataOffset + rows * cols * itemSize;
  if (size !== expected) {
    throw new ImportError(`${file}: size ${size} bytes does not match shape ${rows} x ${cols} ${dtype} (${expected} bytes); the file is truncated or damaged`);
  }
  return { dtype, rows, cols, dataOffset, itemSize };
}

let halfTable: Float32Array | null = null;

/** float16 bit patterns -> float32 values, all 65536 of them, built once. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac === 0 ? sign * Infinity : NaN;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return (halfTable = t);
}

/**
 * Reads rows [start, start + count) as float32 (converting float16), into `out`, and throws if any
 * value is NaN or infinite (such a vector would silently break every distance it touches).
 */
export function readNpyRows(file: string, fd: number, h: NpyHeader, start: number, count: number, out: Float32Array): void {
  const n = count * h.cols;
  const bytes = Buffer.alloc(n * h.itemSize);
  const pos = h.dataOffset + start * h.cols * h.itemSize;
  let got = 0;
  while (got < bytes.length) {
    const r = fs.readSync(fd, bytes, got, bytes.length - got, pos + got);
    if (r === 0) throw new ImportError(`${file}: unexpected end of file`);
    got += r;
  }
  if (h.dtype === 'float32') {
    new Uint8Array(out.buffer, out.byteOffset, n * 4).set(bytes);
  } else {
    const table = halfToFloatTable();
    const src = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = table[src[i]!]!;
  }
  for (let i = 0; i < n; i++) {
    const v = out[i]!;
    // v - v is 0 for finite values and NaN for NaN / +-Infinity.
    if (v - v !== 0) {
      const row = start + Math.floor(i / h.cols);
      throw new ImportError(`${file}: row ${row} (column ${i % h.cols}) is ${v}; vectors must be finite`);
    }
  }
}

/**
 * The header of a version-1 .npy file for a C-ordered array (padded so the data starts on a
 * 64-byte boundary, as NumPy writes it). Used to export vectors and by tests and benchmarks.
 */
export function npyHeader(descr: string, shape: readonly number[]): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  MAGIC.copy(head);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1')]);
}

/** Writes a .npy file in chunks (arrays of several GB are fine). */
export function writeNpy(file: string, descr: string, shape: readonly number[], data: ArrayBufferView): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, npyHeader(descr, shape));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let off = 0; off < bytes.length; off += 1 << 26) fs.writeSync(fd, bytes.subarray(off, Math.min(bytes.length, off + (1 << 26))));
  } finally {
    fs.closeSync(fd);
  }
}
