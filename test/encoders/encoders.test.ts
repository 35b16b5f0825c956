import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDataset } from '../../src-main/core/datasets/import.ts';
import { describeEncoder } from '../../src-main/core/encoders/describe.ts';
import { runEmbedJob, resumeEmbedJob } from '../../src-main/core/encoders/embed-job.ts';
import { Encoder } from '../../src-main/core/encoders/encoder.ts';
import { addEncoder, encoderSpec } from '../../src-main/core/encoders/registry.ts';
import { tempCatalog, tempDir, writeFiles } from '../helpers.ts';
import { NPM_ENCODER_INFO } from '../../src-shared/npm-encoders.ts';
import { BASIC_PITCH_PACKAGE } from '../../src-main/core/encoders/basic-pitch.ts';
import { GLOVE_PACKAGE } from '../../src-main/core/encoders/glove.ts';
import { MOBILENET_PACKAGE, NSFWJS_MODELS } from '../../src-main/core/encoders/mobilenet.ts';
import { SPEECH_DIM, SPEECH_PACKAGE } from '../../src-main/core/encoders/speech.ts';
import { USE_DIM, USE_PACKAGE } from '../../src-main/core/encoders/use.ts';
import { writeHugePngHeader, writeImage, writeSvg, writeWav } from './media.ts';
import { makeAudioEncoder, makeImageEncoder, makeTextEncoder } from './tiny-encoders.ts';

const close = (a: Float32Array, b: Float32Array, atol = 1e-5, rtol = 1e-5): boolean => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= atol + rtol * Math.abs(b[i]!));

describe('encoder folders', () => {
  it('the shared list of npm encoders names the packages and widths the builders use', () => {
    const built: Record<string, [string, number]> = {
      use: [USE_PACKAGE, USE_DIM],
      glove: [GLOVE_PACKAGE, 100],
      mobilenet: [MOBILENET_PACKAGE, NSFWJS_MODELS.mobilenet.dim],
      inception: [MOBILENET_PACKAGE, NSFWJS_MODELS.inception.dim],
      speech: [SPEECH_PACKAGE, SPEECH_DIM],
      'basic-pitch': [BASIC_PITCH_PACKAGE, 749],
    };
    expect(Object.fromEntries(NPM_ENCODER_INFO.map((e) => [e.kind, [e.from, e.dim]]))).toEqual(built);
  });

  it('detects modality, inputs, output, pooling and dim of each kind', async () => {
    const d = tempDir();
    const text = await describeEncoder(makeTextEncoder(path.join(d, 'text'), { dim: 16 }));
    expect(text.spec).toMatchObject({ modality: 'text', inputs: { input_ids: 'int64', attention_mask: 'int64', token_type_ids: 'int64' }, outputs: ['last_hidden_state'], pooling: 'mean', dim: 16, onnxFile: path.join('onnx', 'model.onnx') });
    const image = await describeEncoder(makeImageEncoder(path.join(d, 'image'), { dim: 12 }));
    expect(image.spec).toMatchObject({ modality: 'image', inputs: { pixel_values: 'float32' }, pooling: 'cls', dim: 12 });
    const audio = await describeEncoder(makeAudioEncoder(path.join(d, 'audio'), { dim: 10 }));
    expect(audio.spec).toMatchObject({ modality: 'audio', inputs: { input_values: 'float32' }, pooling: 'mean', dim: 10 });
    const llm = await describeEncoder(makeTextEncoder(path.join(d, 'llm'), { hiddenStates: true, layers: 1 }), { pooling: 'mean-last-two' });
    expect(llm.spec.outputs).toEqual(['hidden_states.1', 'hidden_states.2']);
  });

  it('hashes content: same files give the same hash, one changed weight or pooling a new one', async () => {
    const d = tempDir();
    const dir = makeTextEncoder(path.join(d, 'a'));
    const h1 = (await describeEncoder(dir)).hash;
    copyFileSync(path.join(dir, 'onnx', 'model.onnx'), path.join(d, 'copy.onnx'));
    expect((await describeEncoder(dir)).hash).toBe(h1);
    expect((await describeEncoder(dir, { pooling: 'cls' })).hash).not.toBe(h1);
    makeTextEncoder(dir, { seed: 8 });
    expect((await describeEncoder(dir)).hash).not.toBe(h1);
  });

  it('gives clear errors for folders that are not usable encoders', async () => {
    const d = tempDir();
    await expect(describeEncoder(path.join(d, 'missing'))).rejects.toThrow(/is not a folder/);
    writeFiles(path.join(d, 'empty'), { 'config.json': '{}' });
    await expect(describeEncoder(path.join(d, 'empty'))).rejects.toThrow(/no \.onnx file/);
    await expect(describeEncoder(makeTextEncoder(path.join(d, 'notok'), { noTokenizer: true }))).rejects.toThrow(/has no tokenizer/);
    writeFiles(path.join(d, 'garbage'), { 'onnx/model.onnx': Buffer.from('this is not a protobuf at all'), 'tokenizer.json': '{}' });
    await expect(describeEncoder(path.join(d, 'garbage'))).rejects.toThrow(/cannot load .*model\.onnx as an ONNX model/);
    // A model whose input is neither tokens, pixels nor audio (the connector's own inference graph, say).
    const { Graph } = await import('../../src-main/core/onnx/graph.ts');
    const g = new Graph('not_an_encoder');
    g.output(g.node('Relu', [g.input('x', 'float32', ['N', 4])], [{ dtype: 'float32', shape: ['N', 4] }])[0]!, 'y');
    writeFiles(path.join(d, 'other'), { 'onnx/model.onnx': Buffer.from(g.toModel({ paramsAs: 'initializers', values: new Map() })) });
    await expect(describeEncoder(path.join(d, 'other'))).rejects.toThrow(/is not an encoder AltMoE Studio knows: its inputs are x/);
    const image = makeImageEncoder(path.join(d, 'image'));
    await expect(describeEncoder(image, { modality: 'text' })).rejects.toThrow(/is a image encoder, not text/);
    await expect(describeEncoder(image, { output: 'nope' })).rejects.toThrow(/has no output "nope"/);
  });

  it('mean pooling ignores padding: an item pooled alone equals the same item in a padded batch', async () => {
    const dir = makeTextEncoder(path.join(tempDir(), 't'));
    const { spec } = await describeEncoder(dir);
    const enc = await Encoder.open(spec);
    try {
      const alone = await enc.encodeOne({ text: 'the dog' });
      const batch = await enc.encode([{ text: 'the dog' }, { text: 'a loud red bird sings in the blue tree' }, { text: '   ' }]);
      expect('vector' in batch[0]! && close(batch[0].vector, alone)).toBe(true);
      expect(batch[2]).toEqual({ error: 'the text is empty' });
      const other = batch[1]! as { vector: Float32Array };
      expect(close(other.vector, alone)).toBe(false);
    } finally {
      await enc.close();
    }
  });

  it('decodes images of several formats and audio of several rates, and names what is broken', async () => {
    const d = tempDir();
    const image = await describeEncoder(makeImageEncoder(path.join(d, 'image')));
    const audio = await describeEncoder(makeAudioEncoder(path.join(d, 'audio')));
    await writeImage(path.join(d, 'm/red.png'), [255, 0, 0]);
    await writeImage(path.join(d, 'm/red.jpg'), [255, 0, 0], [40, 30], 'jpeg');
    await writeImage(path.join(d, 'm/red.webp'), [255, 0, 0], [40, 30], 'webp');
    writeSvg(path.join(d, 'm/dot.svg'), 'blue');
    writeHugePngHeader(path.join(d, 'm/huge.png'), 40000, 40000);
    const jpeg = readFileSync(path.join(d, 'm/red.jpg'));
    writeFiles(path.join(d, 'm'), { 'truncated.png': readFileSync(path.join(d, 'm/red.png')).subarray(0, 60), 'text.jpg': 'hello', 'truncated.jpg': jpeg.subarray(0, Math.floor(jpeg.length * 0.8)) });
    writeWav(path.join(d, 'm/tone16k.wav'), 1);
    writeWav(path.join(d, 'm/tone44k-stereo.wav'), 1, { rate: 44100, channels: 2 });
    writeWav(path.join(d, 'm/empty.wav'), 0);
    writeFiles(path.join(d, 'm'), { 'zero.wav': '', 'truncated.wav': readFileSync(path.join(d, 'm/tone16k.wav')).subarray(0, 30) });
    const ienc = await Encoder.open(image.spec);
    const aenc = await Encoder.open(audio.spec);
    try {
      const files = ['red.png', 'red.jpg', 'red.webp', 'dot.svg', 'huge.png', 'truncated.png', 'text.jpg', 'truncated.jpg'].map((f) => ({ file: path.join(d, 'm', f) }));
      const imgs = await ienc.encode(files);
      expect(imgs.slice(0, 4).every((r) => 'vector' in r)).toBe(true);
      const [png, jpg, webp] = imgs as { vector: Float32Array }[];
      // Lossy codecs change pixels slightly; the same red square must still encode nearly alike.
      expect(close(png!.vector, jpg!.vector, 0.05, 0.05) && close(png!.vector, webp!.vector, 0.05, 0.05)).toBe(true);
      expect(imgs[4]).toEqual({ error: expect.stringMatching(/cannot decode image: .*pixel limit/) });
      expect(imgs[5]).toEqual({ error: expect.stringMatching(/cannot decode image/) });
      expect(imgs[6]).toEqual({ error: expect.stringMatching(/cannot decode image/) });
      // A JPEG cut short says so, once, in one line.
      const cut = (imgs[7] as { error: string }).error;
      expect(cut).toMatch(/^cannot decode image: the file is cut short or damaged \(VipsJpeg: premature end of JPEG image(; [^;)]+)*\)$/);
      expect(cut.split('premature end')).toHaveLength(2);
      const clips = await aenc.encode(['tone16k.wav', 'tone44k-stereo.wav', 'empty.wav', 'zero.wav', 'truncated.wav'].map((f) => ({ file: path.join(d, 'm', f) })));
      const [a16, a44] = clips as { vector: Float32Array }[];
      // The same tone at 44.1 kHz stereo, downmixed and resampled, is the 16 kHz tone up to resampling error.
      expect(close(a16!.vector, a44!.vector, 0.02, 0.02)).toBe(true);
      expect(clips[2]).toEqual({ error: 'the audio has no samples' });
      expect(clips[3]).toEqual({ error: expect.stringMatching(/cannot read audio: the file is empty/) });
      expect('error' in clips[4]!).toBe(true);
    } finally {
      await ienc.close();
      await aenc.close();
    }
  });
});

describe('embedding job', () => {
  async function setup() {
    const d = tempDir();
    const c = tempCatalog(d);
    const media = path.join(d, 'media');
    const colors: [string, [number, number, number]][] = [['red', [220, 20, 20]], ['green', [20, 200, 20]], ['blue', [20, 20, 220]], ['grey', [128, 128, 128]], ['white', [250, 250, 250]]];
    for (const [name, rgb] of colors) {
      await writeImage(path.join(media, `${name}.png`), rgb);
      writeFiles(media, { [`${name}.txt`]: `a ${name === 'red' ? 'red' : 'blue'} ball\nthe dog runs` });
    }
    writeFiles(media, { 'broken.png': 'not an image', 'broken.txt': 'a cat sleeps' });
    writeWav(path.join(media, 'tone.wav'), 0.5);
    writeWav(path.join(media, 'empty.wav'), 0);
    await importDataset(c, 'folder', media, { name: 'media' });
    const texts = c.items.counts(c.datasets.get('media')!.id).text!;
    return { d, c, texts };
  }

  it('embeds every item, records per-item errors, and skips what is done on the next run', async () => {
    const { d, c } = await setup();
    await addEncoder(c, makeImageEncoder(path.join(d, 'enc/img')), { name: 'img' });
    const events: number[] = [];
    const report = await runEmbedJob(c, { encoder: 'img', batchSize: 2, onProgress: (p) => events.push(p.done) });
    expect(report).toMatchObject({ encoder: 'img', provider: 'cpu', embedded: 5, failed: 1, skipped: 0, cancelled: false });
    expect(report.failures).toEqual([{ itemId: expect.any(Number), key: 'broken.png', error: expect.stringMatching(/cannot decode image/) }]);
    expect(events.at(-1)).toBe(6);
    const row = c.encoders.get('img')!;
    expect(c.embeddings.count(row.id)).toBe(5);
    expect(JSON.parse(c.jobs.get(report.jobId)!.result!)).toMatchObject({ embedded: 5, failed: 1 });
    // Stored vectors are exactly what the encoder computes for the file, tagged with its hash.
    const enc = await Encoder.open(encoderSpec(row));
    const item = c.items.get(c.datasets.get('media')!.id, 'image', 'red.png')!;
    expect(close(c.embeddings.get(row.id, item.id)!, await enc.encodeOne({ file: path.join(d, 'media', 'red.png') }))).toBe(true);
    await enc.close();
    const again = await runEmbedJob(c, { encoder: 'img' });
    expect(again).toMatchObject({ embedded: 0, skipped: 5, failed: 1 });
  });

  it('embeds text and audio items, with the dims the encoders report', async () => {
    const { d, c, texts } = await setup();
    await addEncoder(c, makeTextEncoder(path.join(d, 'enc/txt'), { dim: 16 }), { name: 'txt' });
    await addEncoder(c, makeAudioEncoder(path.join(d, 'enc/aud'), { dim: 10 }), { name: 'aud' });
    const t = await runEmbedJob(c, { encoder: 'txt', dataset: 'media', batchSize: 4 });
    expect(texts).toBeGreaterThan(8);
    expect(t).toMatchObject({ embedded: texts, failed: 0 });
    const a = await runEmbedJob(c, { encoder: 'aud', batchSize: 4 });
    expect(a).toMatchObject({ embedded: 1, failed: 1 });
    expect(a.failures[0]).toMatchObject({ key: 'empty.wav', error: 'the audio has no samples' });
    const item = c.items.get(c.datasets.get('media')!.id, 'audio', 'tone.wav')!;
    expect(c.embeddings.get(c.encoders.get('aud')!.id, item.id)!.length).toBe(10);
  });

  it('cancels between batches and resumes where it stopped', async () => {
    const { d, c, texts } = await setup();
    await addEncoder(c, makeTextEncoder(path.join(d, 'enc/txt')), { name: 'txt' });
    const abort = new AbortController();
    const first = await runEmbedJob(c, { encoder: 'txt', batchSize: 2, signal: abort.signal, onProgress: (p) => p.done >= 2 && abort.abort() });
    expect(first.cancelled).toBe(true);
    expect(first.embedded).toBeGreaterThanOrEqual(2);
    expect(first.embedded).toBeLessThan(texts);
    expect(c.jobs.get(first.jobId)!.status).toBe('cancelled');
    const rest = await resumeEmbedJob(c, first.jobId);
    expect(rest).toMatchObject({ jobId: first.jobId, embedded: texts - first.embedded, skipped: first.embedded, cancelled: false });
    expect(c.jobs.get(first.jobId)!.status).toBe('done');
  });

  it('a changed model never mixes with old vectors', async () => {
    const { d, c, texts } = await setup();
    const dir = makeTextEncoder(path.join(d, 'enc/txt'));
    await addEncoder(c, dir, { name: 'txt' });
    await runEmbedJob(c, { encoder: 'txt' });
    expect(await addEncoder(c, dir, { name: 'txt' })).toMatchObject({ status: 'unchanged', deletedVectors: 0 });
    makeTextEncoder(dir, { seed: 99 });
    await expect(runEmbedJob(c, { encoder: 'txt' })).rejects.toThrow(/changed since it was added/);
    await expect(addEncoder(c, dir, { name: 'txt' })).rejects.toThrow(/already exists with a different model; pass --replace/);
    const replaced = await addEncoder(c, dir, { name: 'txt', replace: true });
    expect(replaced).toMatchObject({ status: 'replaced', deletedVectors: texts });
    expect(c.embeddings.count(c.encoders.get('txt')!.id)).toBe(0);
    expect((await runEmbedJob(c, { encoder: 'txt' })).embedded).toBe(texts);
    await expect(addEncoder(c, makeImageEncoder(path.join(d, 'enc/img')), { name: 'txt', replace: true })).rejects.toThrow(/is a text encoder/);
  });

  it('refuses unknown encoders and datasets and encoders known only by imported vectors', async () => {
    const { c } = await setup();
    await expect(runEmbedJob(c, { encoder: 'nope' })).rejects.toThrow(/no encoder named "nope"/);
    c.write(() => c.encoders.insert({ name: 'ext', modality: 'text', dim: 4, fileHash: 'external:ext', source: '/x.npy' }, 0));
    await expect(runEmbedJob(c, { encoder: 'ext' })).rejects.toThrow(/has only imported vectors/);
  });
});
