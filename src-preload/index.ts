// Exposes exactly the contract's request channels and event subscriptions as window.api; the renderer
// never sees ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron';
import { EVENT_CHANNELS, REQUEST_CHANNELS, type ApiClient } from '../src-shared/api.ts';

const requests = Object.fromEntries(REQUEST_CHANNELS.map((channel) => [channel, (payload?: unknown) => ipcRenderer.invoke(channel, payload)]));

const api = {
  ...requests,
  on(event: string, listener: (payload: unknown) => void): () => void {
    if (!(EVENT_CHANNELS as readonly string[]).includes(event)) throw new Error(`unknown event "${event}"`);
    const wrapped = (_e: unknown, payload: unknown): void => listener(payload);
    ipcRenderer.on(event, wrapped);
    return () => ipcRenderer.off(event, wrapped);
  },
  mediaBase: 'altmoe-media://',
} as unknown as ApiClient;

contextBridge.exposeInMainWorld('api', api);
// The one call outside the contract: the microphone is granted only while a recording is asked for.
// And the file manager opened on a catalog item's file (the main process finds the file).
contextBridge.exposeInMainWorld('shell', {
  setRecording: (active: boolean) => ipcRenderer.send('app:recording', active === true),
  reveal: (itemId: number) => ipcRenderer.send('app:reveal', itemId),
});
