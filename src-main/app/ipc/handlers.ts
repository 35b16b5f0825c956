// IPC: every contract channel is validated here, then handed to the engine service; pushed events go
// to the window. The handlers stay thin: the engine (src-main/core) does the work.
import { ipcMain, type WebContents } from 'electron';
import { REQUEST_CHANNELS } from '../../../src-shared/api.ts';
import type { EngineService } from '../../core/service/service.ts';
import { validatePayload } from '../../core/service/validate.ts';

export function registerHandlers(service: EngineService, target: () => WebContents | null): void {
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, async (_event, payload: unknown) => service.handle(channel, validatePayload(channel, payload)));
  }
  service.on((event, payload) => {
    const wc = target();
    if (wc && !wc.isDestroyed()) wc.send(event, payload);
  });
}
