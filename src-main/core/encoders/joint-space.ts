// Whether two encoders are the towers of one contrastive model (CLIP's image and text towers, CLAP's
// audio and text towers): then their outputs already live in one joint space, and cosine between them
// is a zero-shot baseline any trained connector has to beat. We call two encoders towers of one model
// when both output that model's projection (text_embeds, image_embeds, audio_embeds), of the same
// width, and come from the same place: one folder, or one hub repository at one revision.
import fs from 'node:fs';
import path from 'node:path';
import type { EncoderRow } from '../catalog/repos/encoders.ts';
import type { EncoderSpec } from './spec.ts';

/** The outputs contrastive exports give their projection heads, one per tower. */
export const PROJECTION_OUTPUTS = ['text_embeds', 'image_embeds', 'audio_embeds'] as const;
/** What `altmoe encoder pull` leaves in a folder it completed (hub/pull.ts writes it). */
export const PULL_RECORD = 'altmoe-pull.json';

/** "hub:owner/name@revision" for a pulled folder, else "folder:<absolute path>"; undefined when the output is no projection head. */
export function jointSpaceOf(spec: Pick<EncoderSpec, 'dir' | 'outputs' | 'pooling'>): string | undefined {
  if (spec.pooling !== 'none' || !(PROJECTION_OUTPUTS as readonly string[]).includes(spec.outputs[0] ?? '')) return undefined;
  try {
    const record = JSON.parse(fs.readFileSync(path.join(spec.dir, PULL_RECORD), 'utf8')) as { repo?: unknown; revision?: unknown };
    if (typeof record.repo === 'string' && typeof record.revision === 'string') return `hub:${record.repo}@${record.revision}`;
  } catch {
    // Not pulled (or the record is unreadable): the folder itself names the model.
  }
  return `folder:${path.resolve(spec.dir)}`;
}

/** The joint space two registered encoders share, if they are towers of one model. */
export function sharedJointSpace(a: EncoderRow, b: EncoderRow): string | undefined {
  const space = (row: EncoderRow): string | undefined => (JSON.parse(row.meta) as { space?: string }).space;
  const s = space(a);
  return s !== undefined && a.modality !== b.modality && a.dim === b.dim && s === space(b) ? s : undefined;
}
