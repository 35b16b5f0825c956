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

/** What a file-system error means to a person, and the HTTP status it answers with. */
const FS_PROBLEMS: Record<string, { status: number; says: string }> = {
  ENOENT: { status: 404, says: 'no such file or folder' },
  ENOTDIR: { status: 404, says: 'a part of the path is not a folder' },
  EACCES: { status: 403, says: 'permission denied' },
  EPERM: { status: 403, says: 'not permitted' },
  EROFS: { status: 403, says: 'on a read-only file system' },
  ELOOP: { status: 400, says: 'a loop of symbolic links' },
  EISDIR: { status: 400, says: 'a folder, not a file' },
  ENAMETOOLONG: { status: 400, says: 'the name is too long' },
  ENOSPC: { status: 507, says: 'the disk is full' },
  EDQUOT: { status: 507, says: 'the disk quota is used up' },
  EMFILE: { status: 503, says: 'too many open files; try again' },
  ENFILE: { status: 503, says: 'too many open files; try again' },
  EIO: { status: 500, says: 'an input/output error (is the disk failing?)' },
};

/** A file-system error, said plainly ("a loop of symbolic links: /data/x"), with its HTTP status. */
export class FileSystemError extends UserError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The error as a FileSystemError when it is one of the file system's own (ELOOP, EACCES, ...); else unchanged. */
export function asFileSystemError(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException | null;
  const known = typeof e?.code === 'string' && !(err instanceof UserError) ? FS_PROBLEMS[e.code] : undefined;
  if (!known) return err;
  const where = e!.path ? `: ${e!.path}${(e as { dest?: string }).dest ? ` -> ${(e as { dest?: string }).dest}` : ''}` : '';
  return new FileSystemError(`${known.says}${where}`, known.status, e!.code!, { cause: err });
}
