import { createHash, hash } from 'node:crypto';
import fs from 'node:fs';

/** Content hash of a caption: identifies identical text so a vector can be reused. */
export function textHash(text: string): string {
  // The one-shot hash() skips creating a Hash object: it matters at 600k captions per import.
  return hash('sha256', text, 'hex');
}

/** Streams a file through SHA-256 (media files can be large, so never read them whole). */
export async function fileHash(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
  }
  return hash.digest('hex');
}
