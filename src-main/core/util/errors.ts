/**
 * A problem the user can act on (bad input, a missing file, a wrong request): its message is shown
 * as it is, never with a stack trace. Every engine error class of that kind extends this one, so the
 * CLI, the HTTP server and the IPC handlers tell them from bugs in one place.
 */
export class UserError extends Error {}
