// Server-mode sessions, bound to the server that made them. Browsers scope cookies by host, not
// port: every other service on 127.0.0.1 receives our cookie, and a page there could hand it to a
// script that replays it. So a cookie alone opens nothing but the (public) UI files. The token
// exchange also hands the page two random keys, kept in its localStorage (which is per origin, port
// included) and sent with every request: the API's in a header, media's in the URL, the event
// socket's as a subprotocol. The cookie's name is unique to this server instance, so signing in to
// a second server on another port does not replace the first one's cookie. Sessions end after an
// idle time, an absolute age, or a sign-out; the token exchange is rate-limited.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

export interface SessionLimits {
  idleMs: number;
  maxAgeMs: number;
  /** Token exchanges allowed per window (a leaked URL cannot mint sessions at will). */
  exchanges: number;
  exchangeWindowMs: number;
}

export const SESSION_LIMITS: SessionLimits = { idleMs: 12 * 3600_000, maxAgeMs: 7 * 24 * 3600_000, exchanges: 10, exchangeWindowMs: 10 * 60_000 };

/** The header carrying the API key, and the media URL parameter carrying the media key. */
export const KEY_HEADER = 'x-altmoe-key';
export const MEDIA_PARAM = 'k';
/** The event socket's subprotocols: this one is selected; the other carries the key. */
export const SOCKET_PROTOCOL = 'altmoe';
export const SOCKET_KEY_PREFIX = 'altmoe-key.';

export type Access = 'page' | 'api' | 'media' | 'events';

interface Session {
  key: string;
  mediaKey: string;
  created: number;
  seen: number;
}

export interface NewSession {
  id: string;
  key: string;
  mediaKey: string;
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const digest = (s: string): string => createHash('sha256').update(s).digest('hex');

function sameSecret(given: string | undefined | null, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Cookie header -> the value of one cookie (or ''). */
export function cookieValue(header: string | undefined, name: string): string {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return '';
}

export class Sessions {
  /** Unique to this server instance: another server's cookie never collides with (or replaces) it. */
  readonly cookieName = `altmoe_session_${hex(6)}`;
  /** By the SHA-256 of the cookie value, so a lookup leaks nothing about stored ids through timing. */
  private readonly live = new Map<string, Session>();
  private exchangesAt: number[] = [];

  constructor(
    private readonly token: string,
    private readonly limits: SessionLimits = SESSION_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  tokenMatches(given: string | null | undefined): boolean {
    return sameSecret(given, this.token);
  }

  /** A new session for a correct token, or null when too many were made lately. */
  exchange(): NewSession | null {
    const t = this.now();
    this.exchangesAt = this.exchangesAt.filter((at) => t - at < this.limits.exchangeWindowMs);
    if (this.exchangesAt.length >= this.limits.exchanges) return null;
    this.exchangesAt.push(t);
    const made = { id: hex(32), key: hex(32), mediaKey: hex(32) };
    this.live.set(digest(made.id), { key: made.key, mediaKey: made.mediaKey, created: t, seen: t });
    return made;
  }

  /** The live session a request's cookie names (expired ones are dropped). */
  private sessionOf(req: http.IncomingMessage): { hash: string; s: Session } | null {
    const id = cookieValue(req.headers.cookie, this.cookieName);
    if (!id) return null;
    const hash = digest(id);
    const s = this.live.get(hash);
    if (!s) return null;
    const t = this.now();
    if (t - s.seen > this.limits.idleMs || t - s.created > this.limits.maxAgeMs) {
      this.live.delete(hash);
      return null;
    }
    return { hash, s };
  }

  /**
   * Whether a request may have `access`: the page needs the cookie; the API, media and the socket
   * need the cookie and the key the page was given; scripts may send the token as a bearer header
   * instead (never in a URL).
   */
  authorised(req: http.IncomingMessage, access: Access, url?: URL): boolean {
    if (access !== 'page' && this.tokenMatches(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1])) return true;
    const found = this.sessionOf(req);
    if (!found) return false;
    const { s } = found;
    let ok = true;
    if (access === 'api') ok = sameSecret(req.headers[KEY_HEADER] as string | undefined, s.key);
    else if (access === 'media') ok = sameSecret(url?.searchParams.get(MEDIA_PARAM), s.mediaKey);
    else if (access === 'events') {
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      ok = offered.some((p) => p.startsWith(SOCKET_KEY_PREFIX) && sameSecret(p.slice(SOCKET_KEY_PREFIX.length), s.key));
    }
    if (ok) s.seen = this.now();
    return ok;
  }

  /** Ends the request's session (sign-out); true when there was one. */
  end(req: http.IncomingMessage): boolean {
    const found = this.sessionOf(req);
    if (found) this.live.delete(found.hash);
    return found !== null;
  }

  cookie(id: string): string {
    return `${this.cookieName}=${id}; HttpOnly; SameSite=Strict; Path=/`;
  }

  clearCookie(): string {
    return `${this.cookieName}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }
}

/**
 * The answer to a correct token: a page whose only script stores the keys in this origin's
 * localStorage and moves on to `target`, without the token. Its CSP allows that script alone.
 */
export function exchangePage(made: NewSession, target: string): { html: string; csp: string } {
  // JSON in a script: "<" escaped so no value can close the element.
  const json = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
  const script = `localStorage.setItem('altmoe.session',${json(JSON.stringify({ key: made.key, media: made.mediaKey }))});location.replace(${json(target)});`;
  const hash = createHash('sha256').update(script).digest('base64');
  return {
    html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>AltMoE Studio</title><script>${script}</script></head><body>Opening AltMoE Studio…</body></html>`,
    csp: `default-src 'none'; script-src 'sha256-${hash}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  };
}
