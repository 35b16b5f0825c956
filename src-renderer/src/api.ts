// The engine, as the renderer sees it: window.api from the preload in the desktop app, or the same
// contract over HTTP + WebSocket in server mode. There the server exchanged the printed token for a
// session on the first load (src-main/core/server/sessions.ts): an HttpOnly cookie the browser sends
// by itself, and two keys this page keeps in its origin's localStorage and sends along (the API's in
// a header, media's in the URL, the socket's as a subprotocol): a cookie that leaks to another
// port's service opens nothing without them.
import { EVENT_CHANNELS, REQUEST_CHANNELS, type ApiClient, type ApiEvents, type EventChannel } from '../../src-shared/api.ts';

interface SessionKeys {
  key: string;
  media: string;
}

function sessionKeys(): SessionKeys {
  try {
    const k = JSON.parse(localStorage.getItem('altmoe.session') ?? 'null') as Partial<SessionKeys> | null;
    if (k && typeof k.key === 'string' && typeof k.media === 'string') return { key: k.key, media: k.media };
  } catch {
    // Unreadable: as good as missing.
  }
  return { key: '', media: '' };
}

/** Asks for the token again (signed out, expired, or the server restarted). */
function signIn(): void {
  if (location.pathname !== '/signin') location.assign('/signin');
}

function httpClient(): ApiClient {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  let socket: WebSocket | null = null;
  let retryMs = 1000;
  const keys = sessionKeys();
  const connect = (): void => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/events`, ['altmoe', `altmoe-key.${keys.key}`]);
    ws.onopen = () => (retryMs = 1000);
    ws.onmessage = (m) => {
      const { event, payload } = JSON.parse(String(m.data)) as { event: string; payload: unknown };
      for (const l of listeners.get(event) ?? []) l(payload);
    };
    // Reconnect after a dropped connection (server restart, sleep), backing off up to 30 s.
    ws.onclose = () => {
      setTimeout(connect, retryMs);
      retryMs = Math.min(30_000, retryMs * 2);
    };
    socket = ws;
  };
  const requests = Object.fromEntries(
    REQUEST_CHANNELS.map((channel) => [
      channel,
      async (payload?: unknown) => {
        const res = await fetch(`/api/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-altmoe-key': keys.key },
          credentials: 'same-origin',
          body: payload === undefined ? '' : JSON.stringify(payload),
        });
        if (res.status === 401) signIn();
        const body = (await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }))) as { ok: boolean; result?: unknown; error?: string };
        if (!body.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
        return body.result;
      },
    ]),
  );
  return {
    ...requests,
    on(event: EventChannel, listener: (p: never) => void) {
      if (!(EVENT_CHANNELS as readonly string[]).includes(event)) throw new Error(`unknown event ${event}`);
      if (!socket) connect();
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (p: unknown) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (p: unknown) => void);
    },
  } as unknown as ApiClient;
}

export const inElectron = window.api !== undefined;
export const api: ApiClient = window.api ?? httpClient();
const mediaKey = inElectron ? '' : encodeURIComponent(sessionKeys().media);

export function mediaUrl(itemId: number): string {
  return inElectron ? `altmoe-media://media/${itemId}` : `/media/${itemId}?k=${mediaKey}`;
}

export function thumbUrl(itemId: number): string {
  return inElectron ? `altmoe-media://thumb/${itemId}` : `/thumb/${itemId}?k=${mediaKey}`;
}

/** A large rendering of an image item (whole, SVGs rasterised), or a sound's wide waveform. */
export function previewUrl(itemId: number): string {
  return inElectron ? `altmoe-media://preview/${itemId}` : `/preview/${itemId}?k=${mediaKey}`;
}

/** Server mode: ends this session on the server and asks for the token again. */
export async function signOut(): Promise<void> {
  await fetch('/signout', { method: 'POST', headers: { 'x-altmoe-key': sessionKeys().key }, credentials: 'same-origin' }).catch(() => undefined);
  localStorage.removeItem('altmoe.session');
  location.assign('/signin');
}

export type { ApiEvents };

export function message(err: unknown): string {
  return err instanceof Error ? err.message.replace(/^Error invoking remote method '[^']+': (Error: )?/, '') : String(err);
}
