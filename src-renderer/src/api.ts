// The engine, as the renderer sees it: window.api from the preload in the desktop app, or the same
// contract over HTTP + WebSocket in server mode. There the server exchanged the printed token for
// an HttpOnly session cookie on the first load: no URL here carries a secret, and the browser sends
// the cookie with every same-origin request and the socket.
import { EVENT_CHANNELS, REQUEST_CHANNELS, type ApiClient, type ApiEvents, type EventChannel } from '../../src-shared/api.ts';

function httpClient(): ApiClient {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  let socket: WebSocket | null = null;
  let retryMs = 1000;
  const connect = (): void => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/events`);
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
          headers: { 'content-type': 'application/json' },
          credentials: 'same-origin',
          body: payload === undefined ? '' : JSON.stringify(payload),
        });
        // The session is gone (the server restarted): the page asks for the token again.
        if (res.status === 401) location.assign('/');
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

export function mediaUrl(itemId: number): string {
  return inElectron ? `altmoe-media://media/${itemId}` : `/media/${itemId}`;
}

export function thumbUrl(itemId: number): string {
  return inElectron ? `altmoe-media://thumb/${itemId}` : `/thumb/${itemId}`;
}

export type { ApiEvents };

export function message(err: unknown): string {
  return err instanceof Error ? err.message.replace(/^Error invoking remote method '[^']+': (Error: )?/, '') : String(err);
}
