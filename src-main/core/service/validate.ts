// Payload validation at the boundary: every request's payload is checked before the engine sees it,
// whichever transport carried it (Electron IPC or HTTP).
import { UserError } from '../errors.ts';
import { z } from 'zod';
import { IMPORT_FORMATS, MODALITIES, SPLITS } from '../../../src-shared/types.ts';
import type { ApiRequests, RequestChannel } from '../../../src-shared/api.ts';

const modality = z.enum(MODALITIES);
const split = z.enum(SPLITS);
const provider = z.enum(['cpu', 'webgpu', 'cuda']);
const name = z.string().trim().min(1).max(200);
const path = z.string().min(1).max(4096);
const runId = z.object({ run: z.number().int().positive() }).strict();
const none = z.undefined();

const importRequest = z
  .object({
    format: z.enum(IMPORT_FORMATS).exclude(['npy']),
    source: path,
    root: path.optional(),
    name: name.optional(),
    split: split.nullable().optional(),
  })
  .strict();

const SCHEMAS: { [C in RequestChannel]: z.ZodType<ApiRequests[C]['payload']> } = {
  'app:info': none,
  'catalog:stats': none,
  'formats:list': none,
  'import:preview': importRequest,
  'import:start': importRequest,
  'encoders:add': z.object({ dir: path, name: name.optional(), file: path.optional(), pooling: z.enum(['cls', 'mean', 'mean-last-two', 'none']).optional(), replace: z.boolean().optional() }).strict(),
  'embed:start': z.object({ encoder: name, dataset: name.optional(), batchSize: z.number().int().min(1).max(4096).optional(), provider: provider.optional() }).strict(),
  'providers:list': none,
  'runs:list': none,
  'runs:metrics': runId,
  'runs:delete': runId,
  'train:start': z
    .object({
      name: name.optional(),
      pairs: z.array(z.tuple([modality, modality])).min(1),
      preset: z.enum(['auto', 'laptop', 'paper']),
      budgetSeconds: z.number().positive().max(7 * 24 * 3600).optional(),
      seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
      datasets: z.array(name).optional(),
      encoders: z.partialRecord(modality, name).optional(),
      provider: provider.optional(),
      steps: z.number().int().min(1).max(10_000_000).optional(),
      batchSize: z.number().int().min(2).max(65_536).optional(),
      evalEvery: z.number().int().min(1).optional(),
      lr: z.number().positive().max(1).optional(),
      connector: z.enum(['moe', 'mlp']).optional(),
      schedule: z.enum(['alternating', 'joint']).optional(),
      loss: z.enum(['pred+cl', 'pred', 'cl']).optional(),
    })
    .strict(),
  'train:resume': runId,
  'jobs:list': none,
  'jobs:cancel': z.object({ jobId: z.string().min(1).max(100) }).strict(),
  'search:query': z
    .object({
      query: z.union([
        z.object({ item: z.number().int().positive() }).strict(),
        z.object({ text: z.string().max(10_000) }).strict(),
        z.object({ file: z.object({ name: z.string().max(500), modality: z.enum(['image', 'audio']), base64: z.string().max(80_000_000) }).strict() }).strict(),
      ]),
      to: z.array(modality).min(1),
      k: z.number().int().min(1).max(1000).optional(),
      minScore: z.number().min(-1).max(1).optional(),
      datasets: z.array(name).optional(),
      splits: z.array(split).optional(),
      run: z.number().int().positive().optional(),
    })
    .strict(),
};

export class PayloadError extends UserError {}

export function isRequestChannel(channel: string): channel is RequestChannel {
  return Object.hasOwn(SCHEMAS, channel);
}

/** The payload, checked against the channel's schema, or a PayloadError saying what is wrong. */
export function validatePayload<C extends RequestChannel>(channel: C, payload: unknown): ApiRequests[C]['payload'] {
  const r = SCHEMAS[channel].safeParse(payload);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new PayloadError(`invalid payload for ${channel}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  return r.data as ApiRequests[C]['payload'];
}
