// Exposes exactly the contract's request channels as window.api; the renderer never sees ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron';
import { REQUEST_CHANNELS, type ApiClient } from '../src-shared/api.ts';

const api = Object.fromEntries(
  REQUEST_CHANNELS.map((channel) => [channel, (payload?: unknown) => ipcRenderer.invoke(channel, payload)]),
) as ApiClient;

contextBridge.exposeInMainWorld('api', api);
