// Electron main process: one secure window and the IPC handlers. The engine it calls lives in
// src-main/core and knows nothing of Electron.
import path from 'node:path';
import { app, BrowserWindow, session } from 'electron';
import { Catalog } from '../core/catalog/catalog.ts';
import { defaultCatalogPath } from '../core/catalog/location.ts';
import { EngineService } from '../core/service/service.ts';
import { registerHandlers } from './ipc/handlers.ts';
import { handleMediaProtocol, MEDIA_SCHEME, registerMediaScheme } from './media-protocol.ts';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' data: blob: ${MEDIA_SCHEME}:`,
  `media-src 'self' blob: ${MEDIA_SCHEME}:`,
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    show: false,
    title: 'AltMoE Studio',
    webPreferences: {
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  win.once('ready-to-show', () => win.show());
  // Links open nowhere inside the app; navigation away from the bundled page is refused.
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(path.join(import.meta.dirname, '../renderer/index.html'));
  return win;
}

registerMediaScheme();
let mainWindow: BrowserWindow | null = null;

void app.whenReady().then(() => {
  // The only permission the UI ever asks for: the microphone, to search by a recorded sound.
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(permission === 'media'));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  const catalog = Catalog.open(defaultCatalogPath(), { create: true });
  const service = new EngineService(catalog, { version: app.getVersion(), mode: 'electron' });
  registerHandlers(service, () => mainWindow?.webContents ?? null);
  handleMediaProtocol(catalog);
  app.on('will-quit', () => {
    void service.close().finally(() => catalog.close());
  });
  mainWindow = createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
