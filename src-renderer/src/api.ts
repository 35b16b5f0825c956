// The engine, as the renderer sees it: window.api from the preload in the desktop app, or the same
// contract over HTTP + WebSocket in server mode (token from the page URL).
import { EVENT_CHANNELS, REQUEST_CHANNELS, type ApiClient, type ApiEvents, type EventChannel } from '../../src-shared/api.ts';

const token = new URLSearchParams(location.search).get('token') ?? '';

function httpClient(): ApiClient {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  let socket: WebSocket | null = null;
  const connect = (): void => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/events?token=${encodeURIComponent(token)}`);
    ws.onmessage = (m) => {
      const { event, payload } = JSON.parse(String(m.data)) as { event: string; payload: unknown };
      for (const l of listeners.get(event) ?? []) l(payload);
    };
    // Reconnect after a dropped connection (server restart, sleep).
    ws.onclose = () => setTimeout(connect, 1000);
    socket = ws;
  };
  const requests = Object.fromEntries(
    REQUEST_CHANNELS.map((channel) => [
      channel,
      async (payload?: unknown) => {
        const res = await fetch(`/api/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: payload === undefined ? '' : JSON.stringify(payload),
        });
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
  return inElectron ? `altmoe-media://media/${itemId}` : `/media/${itemId}?token=${encodeURIComponent(token)}`;
}

export function thumbUrl(itemId: number): string {
  return inElectron ? `altmoe-media://thumb/${itemId}` : `/thumb/${itemId}?token=${encodeURIComponent(token)}`;
}

export type { ApiEvents };

export function message(err: unknown): string {
  return err instanceof Error ? err.message.replace(/^Error invoking remote method '[^']+': (Error: )?/, '') : String(err);
}
