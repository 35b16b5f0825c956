/**
 * A problem the user can act on (bad input, a missing file, a wrong request): its message is shown
 * as it is, never with a stack trace. Every engine error class of that kind extends this one, so the
 * CLI, the HTTP server and the IPC handlers tell them from bugs in one place.
 */
export class UserError extends Error {}

/** A write refused because its disk is full; the message says which disk and what was kept. */
export class DiskFullError extends UserError {}

/** Whether an error is the file system's "no space left" (ENOSPC, or EDQUOT: a quota is as full). */
export function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
