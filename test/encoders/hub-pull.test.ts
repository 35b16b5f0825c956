// altmoe encoder pull, as a user runs it, against a local server that speaks the hub's URL scheme and
// serves a small model built here: only the needed files, sizes before the download, a pull stopped
// (Ctrl-C, kill -9) and resumed with a Range request, a corrupt file refused, a 404, no network, a
// gated repository. Nothing here reaches the internet.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/core/catalog/catalog.ts';
import { Encoder } from '../../src-main/core/encoders/encoder.ts';
import { encoderSpec } from '../../src-main/core/encoders/registry.ts';
import { cliOn, tempDir } from '../helpers.ts';
import { startHubServer, type HubServer } from './hub-server.ts';
import { makeImageEncoder, makeTextEncoder } from './tiny-encoders.ts';
import { addEncoder } from '../../src-main/core/encoders/registry.ts';
import { sharedJointSpace } from '../../src-main/core/encoders/joint-space.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/altmoe.js');
const REPO = 'tester/tiny-text';
const TOWERS = 'tester/tiny-clip';

/** A contrastive export's layout (as Xenova/clip-*): both towers in one repository, one width. */
function towerFiles(): Record<string, Buffer> {
  const dir = tempDir();
  makeTextEncoder(dir, { dim: 12, tower: 'onnx/text_model.onnx' });
  makeImageEncoder(dir, { dim: 12, tower: 'onnx/vision_model.onnx' });
  const names = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx'];
  return Object.fromEntries(names.map((f) => [f, fs.readFileSync(path.join(dir, f))]));
}

/** The repository's files: a tiny text encoder, a quantised-style variant, and files a pull must skip. */
function repoFiles(): Record<string, Buffer> {
  const small = makeTextEncoder(tempDir(), { dim: 16 });
  // Big enough (about 2 MB) to be stopped half-way.
  const big = makeTextEncoder(tempDir(), { dim: 512, layers: 1 });
  const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f));
  return {
    'config.json': read(big, 'config.json'),
    'tokenizer.json': read(big, 'tokenizer.json'),
    'tokenizer_config.json': read(big, 'tokenizer_config.json'),
    'onnx/model.onnx': read(big, 'onnx/model.onnx'),
    'onnx/model_quantized.onnx': read(small, 'onnx/model.onnx'),
    'README.md': Buffer.from('# tiny text\n'),
    'pytorch_model.bin': Buffer.alloc(300_000, 7),
  };
}

async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const NO_HUB_ENV = { HF_TOKEN: undefined, NO_PROXY: undefined, no_proxy: undefined, HUGGING_FACE_HUB_TOKEN: undefined, HTTPS_PROXY: undefined, https_proxy: undefined, HTTP_PROXY: undefined, http_proxy: undefined, ALL_PROXY: undefined, all_proxy: undefined };

describe('altmoe encoder pull', () => {
  let files: Record<string, Buffer>;
  let hub: HubServer;
  beforeAll(async () => {
    files = repoFiles();
    hub = await startHubServer({ repos: { [REPO]: { files }, [TOWERS]: { files: towerFiles() } } });
  });
  afterAll(() => hub?.close());
  const pull = (catalog: string, args: string[], env: Record<string, string | undefined> = {}) => withEnv({ ...NO_HUB_ENV, HF_ENDPOINT: hub.url, ...env }, () => cliOn(catalog, ['encoder', 'pull', ...args]));

  it('downloads only what the encoder needs, says the sizes first, registers it; a second pull downloads nothing', async () => {
    const catalog = path.join(tempDir(), 'c.db');
    hub.requests.length = 0;
    const r = await pull(catalog, [REPO]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^pulling tester\/tiny-text at main: 4 file\(s\), [\d.]+ MB \(config\.json .*, tokenizer\.json .*, tokenizer_config\.json .*, onnx\/model\.onnx 2\.\d MB\)$/m);
    expect(r.out).toMatch(/^encoder "tiny-text" added: text, 512 dims, from tester\/tiny-text \(onnx\/model\.onnx\) at main; [\d.]+ MB downloaded; in .*c\.db\.encoders\/tiny-text$/m);
    const fetched = hub.requests.filter((q) => q.path.includes('/resolve/')).map((q) => q.path.split('/resolve/main/')[1]);
    expect(new Set(fetched)).toEqual(new Set(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']));
    const dir = `${catalog}.encoders/tiny-text`;
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) expect(fs.readFileSync(path.join(dir, f)).equals(files[f]!), f).toBe(true);
    expect(fs.existsSync(path.join(dir, 'pytorch_model.bin'))).toBe(false);
    expect(fs.readdirSync(path.join(`${catalog}.encoders`, '.partial'))).toEqual([]);

    // The registered encoder runs: the same vector as the model's own folder gives.
    const c = Catalog.open(catalog);
    try {
      const enc = await Encoder.open(encoderSpec(c.encoders.get('tiny-text')!));
      try {
        expect((await enc.encodeOne({ text: 'a dog on a red boat' })).length).toBe(512);
      } finally {
        await enc.close();
      }
    } finally {
      c.close();
    }

    hub.requests.length = 0;
    const again = await pull(catalog, [REPO]);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/already registered \(unchanged\).*nothing downloaded \(the folder was complete\)/);
    expect(hub.requests.filter((q) => q.path.includes('/resolve/'))).toEqual([]);

    // A variant by --file gets its own name; an unknown file names what exists.
    const variant = await pull(catalog, [REPO, '--file', 'onnx/model_quantized.onnx']);
    expect(variant.out).toMatch(/^encoder "tiny-text-model_quantized" added: text, 16 dims/m);
    const missing = await pull(catalog, [REPO, '--file', 'onnx/nope.onnx']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^altmoe: error: the repository has no ONNX file "onnx\/nope\.onnx"; it has onnx\/model\.onnx \([\d.]+ MB\), onnx\/model_quantized\.onnx \([\d.]+ kB\)\n$/);
  }, 60_000);

  it('Ctrl-C and kill -9 mid-file keep the partial download and register nothing; the next pull resumes with a Range request', async () => {
    const catalog = path.join(tempDir(), 'c.db');
    const total = files['onnx/model.onnx']!.length;
    hub.options.slow = { path: 'onnx/model.onnx', bytes: 32 * 1024, ms: 15 };
    const part = path.join(`${catalog}.encoders`, '.partial', 'tiny-text', 'onnx', 'model.onnx.part');
    const partSize = () => (fs.existsSync(part) ? fs.statSync(part).size : 0);
    const stopAt = async (signal: NodeJS.Signals, atLeast: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }> => {
      const child = spawn(process.execPath, [BIN, 'encoder', 'pull', REPO, '--catalog', catalog], { env: { ...process.env, ...Object.fromEntries(Object.keys(NO_HUB_ENV).map((k) => [k, ''])), HF_ENDPOINT: hub.url } });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const sent = setInterval(() => {
        if (partSize() >= atLeast && !child.killed) child.kill(signal);
      }, 20);
      const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
      clearInterval(sent);
      return { code, signal: sig, err };
    };
    let afterKill = 0;
    try {
      const interrupted = await stopAt('SIGINT', total * 0.2);
      expect(interrupted.code, interrupted.err).toBe(130);
      expect(interrupted.err).toMatch(/interrupted; what was downloaded is kept: run the same command again to resume/);
      const afterCtrlC = partSize();
      expect(afterCtrlC).toBeGreaterThan(0);
      expect(afterCtrlC).toBeLessThan(total);

      const killed = await stopAt('SIGKILL', afterCtrlC + total * 0.2);
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.err).toMatch(/already here from an earlier try/);
      afterKill = partSize();
      expect(afterKill).toBeGreaterThan(afterCtrlC);
      expect(afterKill).toBeLessThan(total);
      expect(fs.existsSync(`${catalog}.encoders/tiny-text`)).toBe(false);
      const c = Catalog.open(catalog);
      expect(c.encoders.list()).toEqual([]);
      c.close();
    } finally {
      delete hub.options.slow;
    }
    hub.requests.length = 0;
    hub.sent.clear();
    const resumed = await pull(catalog, [REPO]);
    expect(resumed.code, resumed.err).toBe(0);
    expect(hub.requests.filter((q) => q.path.endsWith('/onnx/model.onnx')).map((q) => q.range)).toContain(`bytes=${afterKill}-${total - 1}`);
    expect(hub.sent.get('onnx/model.onnx')).toBe(total - afterKill + 1); // + the 1-byte size probe
    expect(fs.readFileSync(`${catalog}.encoders/tiny-text/onnx/model.onnx`).equals(files['onnx/model.onnx']!)).toBe(true);
  }, 120_000);

  it('refuses a corrupt file, keeps nothing of it and registers nothing', async () => {
    const catalog = path.join(tempDir(), 'c.db');
    hub.options.corrupt = 'onnx/model.onnx';
    try {
      const r = await pull(catalog, [REPO]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/\naltmoe: error: onnx\/model\.onnx of tester\/tiny-text is corrupt: its SHA-256 is [0-9a-f]{12}\.\.\., the hub lists [0-9a-f]{12}\.\.\.; the file was removed, pull again\n$/);
      expect(fs.existsSync(path.join(`${catalog}.encoders`, '.partial', 'tiny-text', 'onnx', 'model.onnx.part'))).toBe(false);
      expect(fs.existsSync(`${catalog}.encoders/tiny-text`)).toBe(false);
    } finally {
      delete hub.options.corrupt;
    }
    const c = Catalog.open(catalog);
    expect(c.encoders.list()).toEqual([]);
    c.close();
  });

  it('one line for a repository that does not exist, no network, a gated repository and bad input', async () => {
    const catalog = path.join(tempDir(), 'c.db');
    const none = await pull(catalog, ['tester/no-such-model']);
    expect(none).toMatchObject({ code: 1, err: `altmoe: error: ${hub.url} has no model repository "tester/no-such-model" at revision "main" (a private one needs HF_TOKEN)\n` });
    const badRevision = await pull(catalog, [REPO, '--revision', 'v9']);
    expect(badRevision.err).toMatch(/has no model repository "tester\/tiny-text" at revision "v9"/);

    const closed = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => r(port));
      });
    });
    const offline = await pull(catalog, [REPO], { HF_ENDPOINT: `http://127.0.0.1:${closed}` });
    expect(offline).toMatchObject({ code: 1, err: `altmoe: error: cannot reach http://127.0.0.1:${closed} (ECONNREFUSED) to list the files of tester/tiny-text: check the network, a proxy (HTTPS_PROXY) or a mirror (HF_ENDPOINT)\n` });

    for (const [args, message] of [
      [[], /^altmoe: encoder pull needs a repository, e\.g\. "altmoe encoder pull Xenova\/all-MiniLM-L6-v2"/],
      [['../etc'], /^altmoe: error: "\.\.\/etc" is not a hub repository id/],
      [[REPO, '--revision', '../x'], /is not a revision/],
      [[REPO, '--modality', 'smell'], /--modality/],
    ] as const) {
      const r = await pull(catalog, [...args]);
      expect(r.code, args.join(' ')).toBeGreaterThan(0);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const c = Catalog.open(catalog);
    expect(c.encoders.list()).toEqual([]);
    c.close();

    const gated = await startHubServer({ repos: { [REPO]: { files } }, token: 'hf_letmein' });
    try {
      const refused = await pull(catalog, [REPO], { HF_ENDPOINT: gated.url });
      expect(refused.err).toMatch(/refused to list the files of tester\/tiny-text \(HTTP 401\): the repository is private or gated; accept its terms on the hub and set HF_TOKEN\n$/);
      const wrongKind = await pull(catalog, [REPO], { HF_ENDPOINT: gated.url, HF_TOKEN: 'letmein' });
      expect(wrongKind.err).toMatch(/HF_TOKEN must be a Hugging Face access token \(it starts with hf_\)/);
      const allowed = await pull(catalog, [REPO], { HF_ENDPOINT: gated.url, HF_TOKEN: 'hf_letmein' });
      expect(allowed.code, allowed.err).toBe(0);
      expect(allowed.out + allowed.err).not.toContain('hf_letmein');
    } finally {
      await gated.close();
    }
  }, 60_000);

  it('goes through the proxy that HTTP_PROXY names', async () => {
    const seen: string[] = [];
    // A tunnelling proxy, as HTTPS proxies are: CONNECT host:port, then bytes both ways.
    const proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      seen.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const port = (proxy.address() as net.AddressInfo).port;
      const catalog = path.join(tempDir(), 'c.db');
      const r = await pull(catalog, [REPO, '--file', 'onnx/model_quantized.onnx'], { HTTP_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: '' });
      expect(r.code, r.err).toBe(0);
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen)).toEqual(new Set([new URL(hub.url).host]));
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('lists the encoders known to work', async () => {
    const r = await cliOn(path.join(tempDir(), 'c.db'), ['encoder', 'known']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Xenova\/dinov2-small\s+onnx\/model\.onnx\s+image\s+384\s+88\.5 MB\s+Apache-2\.0/m);
    expect(r.out).toMatch(/^Xenova\/all-MiniLM-L6-v2\s+onnx\/model\.onnx\s+text\s+384/m);
  });

  it("knows the towers of one model pulled from one repository (or added from one folder) share a joint space, so runs on them get a zero-shot row", async () => {
    const catalog = path.join(tempDir(), 'c.db');
    for (const file of ['onnx/text_model.onnx', 'onnx/vision_model.onnx']) {
      const r = await pull(catalog, [TOWERS, '--file', file]);
      expect(r.code, r.err).toBe(0);
    }
    expect((await pull(catalog, [REPO, '--file', 'onnx/model_quantized.onnx'])).code).toBe(0);
    const c = Catalog.open(catalog);
    try {
      const [text, image, other] = ['tiny-clip-text_model', 'tiny-clip-vision_model', 'tiny-text-model_quantized'].map((n) => c.encoders.get(n)!);
      expect(sharedJointSpace(text!, image!)).toBe(`hub:${TOWERS}@main`);
      expect(sharedJointSpace(other!, image!)).toBeUndefined();
      // The same towers added from a local folder: the folder names the model.
      const local = tempDir();
      for (const [f, bytes] of Object.entries(towerFiles())) {
        fs.mkdirSync(path.dirname(path.join(local, f)), { recursive: true });
        fs.writeFileSync(path.join(local, f), bytes);
      }
      await addEncoder(c, local, { name: 'local-text', file: 'onnx/text_model.onnx' });
      await addEncoder(c, local, { name: 'local-image', modality: 'image' });
      expect(sharedJointSpace(c.encoders.get('local-text')!, c.encoders.get('local-image')!)).toBe(`folder:${local}`);
      expect(sharedJointSpace(c.encoders.get('local-text')!, image!)).toBeUndefined();
    } finally {
      c.close();
    }
  });
});
