// The desktop shell's security decisions as plain functions of their inputs, so they are unit
// tested without Electron (which cannot run on the build machines); main.ts wires them into
// Electron's handlers. Checked against Electron's security checklist: an app protocol scoped to the
// built renderer instead of file://, permissions only for the app's own origin, IPC only from the
// app's frame, no navigation or new windows, a CSP per mode.
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'renderer';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const MEDIA_SCHEME = 'altmoe-media';

/** Origins the app's own pages load from: the app protocol, or the dev server when developing. */
export function appOrigins(devUrl?: string): string[] {
  return devUrl ? [APP_ORIGIN, new URL(devUrl).origin] : [APP_ORIGIN];
}

function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    // Custom schemes have an opaque origin in URL(): compose it the way Chromium reports it.
    return u.origin !== 'null' ? u.origin : `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

export function isAppUrl(url: string, origins: readonly string[]): boolean {
  const o = originOf(url);
  return o !== null && origins.includes(o);
}

/**
 * Permission requests: only the microphone (audio 'media', never video or the screen), only for the
 * app's own page, only while the user is recording a query. Everything else is denied.
 */
export function allowPermission(permission: string, requestingUrl: string, details: { mediaTypes?: string[] }, state: { recording: boolean; origins: readonly string[] }): boolean {
  if (permission !== 'media' || !state.recording || !isAppUrl(requestingUrl, state.origins)) return false;
  const types = details.mediaTypes ?? [];
  return types.length > 0 && types.every((t) => t === 'audio');
}

/** Permission checks (navigator.permissions, device enumeration): the microphone for the app only. */
export function allowPermissionCheck(permission: string, requestingOrigin: string, origins: readonly string[]): boolean {
  return permission === 'media' && origins.includes(requestingOrigin);
}

/** IPC is answered only for the app's top frame (never a subframe, never another page). */
export function allowSender(frame: { url: string; isMainFrame: boolean } | null, origins: readonly string[]): boolean {
  return frame !== null && frame.isMainFrame && isAppUrl(frame.url, origins);
}

/** Navigation and redirects: nowhere but the app's own pages. */
export function allowNavigation(url: string, origins: readonly string[]): boolean {
  return isAppUrl(url, origins);
}

/**
 * The file a request on the app protocol serves: inside the built renderer folder or nothing.
 * Paths are decoded once; anything encoded to climb, NUL bytes and backslashes are refused.
 */
export function appFile(requestUrl: string, rendererDir: string): string | null {
  let u: URL;
  try {
    u = new URL(requestUrl);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  // Checked on the raw URL: the parser would already have resolved encoded dots.
  if (/%2f|%5c|%2e|%00/i.test(requestUrl)) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname).replace(/^\/+/, '');
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, rel === '' ? 'index.html' : rel);
  return file.startsWith(root + path.sep) ? file : null;
}

/** The desktop page's policy: no sockets or remote hosts (server mode serves its own CSP). */
export function desktopCsp(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob: ${MEDIA_SCHEME}:`,
    `media-src 'self' blob: ${MEDIA_SCHEME}:`,
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
