// Spoken prompts from Debian's Asterisk sounds: asterisk-core-sounds-en-wav holds the recordings
// (one voice, 8 kHz WAV) and asterisk-core-sounds-en the transcript of each ("agent-pass: Please
// enter your password followed by the pound key."). Real audio with captions that installs from
// apt, for the audio tests and benchmarks.
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export const PROMPTS_DIR = '/usr/share/asterisk/sounds/en_US_f_Allison';
export const PROMPTS_TRANSCRIPTS = '/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz';
export const PROMPTS_PACKAGES = 'asterisk-core-sounds-en-wav asterisk-core-sounds-en';

export function promptsInstalled(): boolean {
  return fs.existsSync(PROMPTS_DIR) && fs.existsSync(PROMPTS_TRANSCRIPTS);
}

/** Every recording that has a transcript, sorted by name; paths relative to the sounds folder. */
export function spokenPrompts(root = PROMPTS_DIR, transcripts = PROMPTS_TRANSCRIPTS): { path: string; transcript: string }[] {
  if (!fs.existsSync(root) || !fs.existsSync(transcripts)) throw new Error(`the Asterisk prompts are missing: apt-get install ${PROMPTS_PACKAGES}`);
  const out: { path: string; transcript: string }[] = [];
  for (const line of gunzipSync(fs.readFileSync(transcripts)).toString('utf8').split('\n')) {
    const m = /^([\w/-]+):\s*(.+?)\s*$/.exec(line);
    if (!m || line.startsWith(';')) continue;
    const file = `${m[1]}.wav`;
    if (fs.existsSync(path.join(root, file))) out.push({ path: file, transcript: m[2]! });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * Writes a JSON Lines manifest of the prompts (absolute paths under `root`; import it with
 * `--root root`), split 80/10/10 by position in name order so the split is the same on every machine.
 */
export function writePromptsManifest(file: string, opts: { root?: string; limit?: number } = {}): number {
  const root = opts.root ?? PROMPTS_DIR;
  const prompts = spokenPrompts(root).slice(0, opts.limit);
  const split = (i: number): string => (i % 10 === 8 ? 'val' : i % 10 === 9 ? 'test' : 'train');
  fs.writeFileSync(file, prompts.map((p, i) => JSON.stringify({ path: path.join(root, p.path), caption: p.transcript, split: split(i), modality: 'audio' })).join('\n') + '\n');
  return prompts.length;
}
