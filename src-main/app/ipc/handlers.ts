// IPC: every contract channel is validated here, then handed to the engine service; pushed events go
// to the window. Only the app's own top frame is answered (security/policy.ts). The handlers stay
// thin: the engine (src-main/core) does the work.
import { ipcMain, shell, type WebContents } from 'electron';
import { REQUEST_CHANNELS } from '../../../src-shared/api.ts';
import type { EngineService } from '../../core/service/service.ts';
import { itemFile } from '../../core/service/media.ts';
import { validatePayload } from '../../core/service/validate.ts';
import { allowSender } from '../security/policy.ts';

/** The renderer says when it records a sound query, so the microphone is granted only then. */
export const RECORDING_CHANNEL = 'app:recording';

/** "Open containing folder" in the result view: the file manager shows a catalog item's file. */
export const REVEAL_CHANNEL = 'app:reveal';

export function registerHandlers(service: EngineService, target: () => WebContents | null, origins: readonly string[], recording: { active: boolean }): void {
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, async (event, payload: unknown) => {
      const frame = event.senderFrame;
      if (!allowSender(frame ? { url: frame.url, isMainFrame: frame === event.sender.mainFrame } : null, origins)) throw new Error('refused: not the app');
      return service.handle(channel, validatePayload(channel, payload));
    });
  }
  ipcMain.on(RECORDING_CHANNEL, (event, active: unknown) => {
    const frame = event.senderFrame;
    if (allowSender(frame ? { url: frame.url, isMainFrame: frame === event.sender.mainFrame } : null, origins)) recording.active = active === true;
  });
  ipcMain.on(REVEAL_CHANNEL, (event, itemId: unknown) => {
    const frame = event.senderFrame;
    if (!allowSender(frame ? { url: frame.url, isMainFrame: frame === event.sender.mainFrame } : null, origins) || !Number.isInteger(itemId)) return;
    // Only a catalog item's file under its dataset's root (the media rules), never a path from the page.
    try {
      shell.showItemInFolder(itemFile(service.catalog, itemId as number).file);
    } catch {
      // A missing file: the view shows no size for it already.
    }
  });
  service.on((event, payload) => {
    const wc = target();
    if (wc && !wc.isDestroyed()) wc.send(event, payload);
  });
}
