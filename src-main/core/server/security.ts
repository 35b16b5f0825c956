// Server mode's guards, one small function each so they can be tested with their inputs (sessions:
// sessions.ts): the Origin allow-list, security
// headers on every response, URL decoding that refuses what is malformed or ambiguous, and a
// bound on heavy work.
import type http from 'node:http';

/** Headers every response carries, whatever it is. */
export const BASE_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The UI page's policy; everything else (JSON, media, the login page) gets a stricter one. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
export const NONE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
export const LOGIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * A state-changing request or a socket upgrade must come from the server's own origin when it says
 * where it comes from (browsers always do); clients that send no Origin (curl, scripts) still need
 * the token.
 */
export function originAllowed(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${req.headers.host ?? ''}`;
}

/** The decoded path, or null when it is malformed or could be read two ways (%00, backslashes, encoded slashes or dots). */
export function decodePath(raw: string): string | null {
  const pathPart = raw.split('?')[0]!;
  if (/%2f|%5c|%2e/i.test(pathPart)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathPart);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').includes('..')) return null;
  return decoded;
}

/** At most `running` tasks at once and `queued` waiting; past that a task is refused (503). */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly running: number,
    private readonly queued: number,
  ) {}

  /** The task's result, or null when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T | null> {
    if (this.active >= this.running) {
      if (this.waiting.length >= this.queued) return null;
      // A finishing task hands its slot over directly, so the count never goes above the bound.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** The page shown without a session: it asks for the token printed by "altmoe serve". */
export const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AltMoE Studio: sign in</title>
<style>body{font:15px system-ui,sans-serif;max-width:480px;margin:80px auto;color:#222}input{width:100%;padding:8px;font:inherit;margin:8px 0}button{padding:8px 16px;font:inherit}</style></head>
<body><h1>AltMoE Studio</h1>
<p>This server needs the token that <code>altmoe serve</code> printed when it started (the part after <code>?token=</code> in its URL).</p>
<form method="get" action="/"><input type="hidden" name="signin" value="1"><label>Token <input name="token" type="password" autocomplete="off" required autofocus></label><button type="submit">Open</button></form>
</body></html>`;
