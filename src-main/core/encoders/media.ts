// Media decoding to what preprocessors take: RGB pixels for images, mono samples at the encoder's
// rate for audio. sharp (libvips) and audio-decode (wasm decoders) install from npm with no download.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import sharp from 'sharp';
import decodeAudioBuffer from 'audio-decode';
import samplerate from '@alexanderolsen/libsamplerate-js';
import { EncoderError } from './errors.ts';
import { rawImage, type RawImage } from './hf.ts';
import { looksLikeSvg, sizedSvg } from './svg-size.ts';

/** Larger images are refused rather than risking gigabytes of pixels (about 16k x 16k). */
export const MAX_IMAGE_PIXELS = 268_402_689;
/** Audio longer than this is cut: encoders see a few seconds to a few tens of seconds anyway. */
export const MAX_AUDIO_SECONDS = 600;

// libvips caches decoded images for repeated operations; a catalog reads each file once.
sharp.cache(false);

/** A resize done while decoding (see preprocess.ts: what the encoder's processor would do next). */
export interface DecodeResize {
  width: number;
  height: number;
  /** fill: exactly width x height; outside: keep the aspect until the shorter side reaches its size. */
  fit: 'fill' | 'outside';
  kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3';
}

/**
 * A media file's bytes, read only from a regular file. It is opened without blocking (an ordinary
 * open of a FIFO waits for a writer, for ever) and checked by its descriptor, so a pipe, socket,
 * device or folder is refused even when it replaced the file after an earlier check.
 */
export async function readMediaFile(file: string): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new EncoderError('it is not a regular file (a pipe, socket, device or folder) and is not read');
    if (st.size === 0) throw new EncoderError('the file is empty');
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Decodes an image file (JPEG, PNG, WebP, GIF, TIFF, AVIF, SVG...) to 8-bit RGB, optionally resized on
 * the way: libvips does that on its own threads (JPEGs even decode at reduced scale), which keeps the
 * embedding pipeline's main thread free for the processor's normalisation.
 */
export async function decodeImage(file: string, resize?: DecodeResize): Promise<RawImage> {
  let bytes: Buffer;
  try {
    bytes = await readMediaFile(file);
  } catch (err) {
    throw new EncoderError(`cannot read image: ${describe(err)}`);
  }
  try {
    // An SVG at the size a browser gives it, whole (svg-size.ts).
    if (looksLikeSvg(bytes)) bytes = sizedSvg(bytes);
    let img = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
      .rotate() // honour EXIF orientation, as a photo viewer would
      .flatten({ background: '#ffffff' }); // transparent clipart on white, not black
    if (resize) img = img.resize({ width: resize.width, height: resize.height, fit: resize.fit, kernel: resize.kernel, ...(resize.fit === 'outside' ? { withoutEnlargement: true } : {}) });
    const { data, info } = await img
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return await rawImage(new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, info.channels as 3);
  } catch (err) {
    throw new EncoderError(`cannot decode image: ${describe(err)}`);
  }
}

/** Decodes an audio file (WAV, FLAC, OGG, MP3, ...) to mono float samples at `rate` Hz. */
export async function decodeAudio(file: string, rate: number): Promise<Float32Array> {
  let bytes: Buffer;
  try {
    bytes = await readMediaFile(file);
  } catch (err) {
    throw new EncoderError(`cannot read audio: ${describe(err)}`);
  }
  let decoded: { channelData: Float32Array[]; sampleRate: number };
  try {
    decoded = (await decodeAudioBuffer(bytes)) as unknown as { channelData: Float32Array[]; sampleRate: number };
  } catch (err) {
    throw new EncoderError(`cannot decode audio: ${describe(err)}`);
  }
  const channels = decoded.channelData ?? [];
  const length = channels[0]?.length ?? 0;
  if (length === 0 || !(decoded.sampleRate > 0)) throw new EncoderError('the audio has no samples');
  const keep = Math.min(length, Math.round(MAX_AUDIO_SECONDS * decoded.sampleRate));
  const mono = downmix(channels, keep);
  if (!mono.every(Number.isFinite)) throw new EncoderError('the audio contains non-finite samples');
  return decoded.sampleRate === rate ? mono : resample(mono, decoded.sampleRate, rate);
}

function downmix(channels: Float32Array[], length: number): Float32Array {
  if (channels.length === 1) return channels[0]!.slice(0, length);
  const out = new Float32Array(length);
  for (const ch of channels) for (let i = 0; i < length; i++) out[i]! += ch[i]! / channels.length;
  return out;
}

/** Band-limited sinc resampling (libsamplerate), as the reference feature extractors assume. */
async function resample(x: Float32Array, from: number, to: number): Promise<Float32Array> {
  const converter = await samplerate.create(1, from, to, { converterType: samplerate.ConverterType.SRC_SINC_MEDIUM_QUALITY });
  try {
    return converter.simple(x);
  } finally {
    converter.destroy();
  }
}

/**
 * A decoder's error in one readable line: libvips repeats its warnings line after line ("VipsJpeg:
 * premature end of JPEG image" three times), and an empty or generic message says nothing at all.
 */
function describe(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/^Input (file|buffer) /, '').replace(/^has corrupt header: /, '');
  const lines = [...new Set(message.split(/\n+/).map((l) => l.trim()).filter((l) => l !== ''))];
  const text = lines.join('; ');
  if (text === '' || /^unknown error$/i.test(text)) return 'the file is damaged or not an image this decoder reads';
  if (/premature end|truncated|unexpected end/i.test(text)) return `the file is cut short or damaged (${text})`;
  return text;
}

/** Longest one media file may take to read and decode before it is reported as failed. */
export const ITEM_SECONDS = 60;

/**
 * `work`, or an error after `seconds`: a read that hangs (a stalled network share, a disk that
 * stopped answering) fails its item instead of the whole job. The hung read itself cannot be
 * stopped from here; its item is given up and the job moves on.
 */
export function withinTime<T>(work: Promise<T>, seconds = ITEM_SECONDS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EncoderError(`reading the file took longer than ${seconds} s (a hung disk or network share?); it was skipped`)), seconds * 1000);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
