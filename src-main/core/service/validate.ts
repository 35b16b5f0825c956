// Payload validation at the boundary: every request's payload is checked against the shared schemas
// (src-shared/schemas.ts) before the engine sees it, whichever transport carried it (Electron IPC,
// HTTP or the CLI, which builds the same requests from its flags).
import { UserError } from '../util/errors.ts';
import type { z } from 'zod';
import { check, SCHEMAS } from '../../../src-shared/schemas.ts';
import type { ApiRequests, RequestChannel } from '../../../src-shared/api.ts';

export class PayloadError extends UserError {}

export function isRequestChannel(channel: string): channel is RequestChannel {
  return Object.hasOwn(SCHEMAS, channel);
}

/** The payload, checked against the channel's schema, or a PayloadError with the one-line message. */
export function validatePayload<C extends RequestChannel>(channel: C, payload: unknown): ApiRequests[C]['payload'] {
  const r = check(SCHEMAS[channel] as z.ZodType, payload);
  if (!r.ok) throw new PayloadError(r.message);
  return r.data as ApiRequests[C]['payload'];
}
