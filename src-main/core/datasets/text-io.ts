import fs from 'node:fs';
import { Readable } from 'node:stream';
import { parse as parseCsv, type Options as CsvOptions } from 'csv-parse';
import { ImportError } from './errors.ts';

export type OnBytes = (bytesRead: number, totalBytes: number) => void;

const READ_CHUNK = 1 << 20;

/**
 * Streams a file as UTF-8 text. Invalid UTF-8 is an error (with its byte offset), never silently
 * replaced: a caption with mojibake would quietly poison training data.
 */
export async function* readUtf8(file: string, onBytes?: OnBytes): AsyncGenerator<string> {
  const total = statFile(file).size;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let offset = 0;
  const stream = fs.createReadStream(file, { highWaterMark: READ_CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch (err) {
        throw new ImportError(`${file}: not valid UTF-8 text (near byte ${offset + firstInvalidUtf8(chunk)})`, {
          cause: err,
        });
      }
      offset += chunk.length;
      onBytes?.(offset, total);
      if (text) yield text;
    }
    let tail: string;
    try {
      tail = decoder.decode();
    } catch (err) {
      throw new ImportError(`${file}: not valid UTF-8 text (it ends inside a multi-byte character)`, { cause: err });
    }
    if (tail) yield tail;
  } finally {
    stream.destroy();
  }
}

/** Reads a whole file as UTF-8 text, strictly (see readUtf8). */
export function readUtf8Sync(file: string): string {
  const bytes = readFileOrThrow(file);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new ImportError(`${file}: not valid UTF-8 text (near byte ${firstInvalidUtf8(bytes)})`, { cause: err });
  }
}

/** Parses a JSON document, turning syntax errors (truncated files included) into a clear ImportError. */
export function readJson(file: string): unknown {
  const text = readUtf8Sync(file);
  try {
    return JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new ImportError(`${file}: malformed or truncated JSON (${detail})`, { cause: err });
  }
}

/** Yields the lines of a UTF-8 text file with their 1-based numbers; handles \n and \r\n. */
export async function* readLines(file: string, onBytes?: OnBytes): AsyncGenerator<{ line: string; no: number }> {
  let rest = '';
  let no = 0;
  let first = true;
  for await (let text of readUtf8(file, onBytes)) {
    if (first) {
      text = text.replace(/^\uFEFF/, '');
      first = false;
    }
    rest += text;
    let start = 0;
    for (let nl = rest.indexOf('\n', start); nl !== -1; nl = rest.indexOf('\n', start)) {
      no++;
      yield { line: stripCr(rest.slice(start, nl)), no };
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  if (rest.length > 0) yield { line: stripCr(rest), no: no + 1 };
}

/**
 * Streams the records of a CSV file (csv-parse), with strict UTF-8 decoding and errors that name
 * the file and line. With `columns: true` each record is an object keyed by the header.
 */
export async function* readCsv<T = Record<string, string>>(
  file: string,
  options: CsvOptions,
  onBytes?: OnBytes,
): AsyncGenerator<{ record: T; line: number }> {
  const source = Readable.from(readUtf8(file, onBytes), { objectMode: true });
  const parser = parseCsv({ bom: true, info: true, skip_empty_lines: true, ...options });
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  try {
    for await (const entry of parser as AsyncIterable<{ record: T; info: { lines: number } }>) {
      yield { record: entry.record, line: entry.info.lines };
    }
  } catch (err) {
    if (err instanceof ImportError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new ImportError(`${file}: malformed CSV (${detail})`, { cause: err });
  } finally {
    source.destroy();
  }
}

export function statFile(file: string): fs.Stats {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new ImportError(`${file} is not a file`);
    return st;
  } catch (err) {
    if (err instanceof ImportError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImportError(code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${code ?? String(err)}`, { cause: err });
  }
}

function readFileOrThrow(file: string): Buffer {
  statFile(file);
  return fs.readFileSync(file);
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Index of the first byte of the first invalid UTF-8 sequence (for error messages only; the
 * decoding itself is TextDecoder's). A sequence cut by the end of the buffer counts as valid.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0) return i;
    for (let k = 1; k < len; k++) {
      if (i + k >= bytes.length) return bytes.length;
      if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += len;
  }
  return i;
}
