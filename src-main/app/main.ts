// Electron main process: one secure window and the IPC handlers. The engine it calls lives in
// src-main/core and knows nothing of Electron. The security decisions are plain functions in
// security/policy.ts (unit tested); here they are wired to Electron.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, net, protocol, session } from 'electron';
import { Catalog } from '../core/catalog/catalog.ts';
import { defaultCatalogPath } from '../core/catalog/location.ts';
import { EngineService } from '../core/service/service.ts';
import { registerHandlers } from './ipc/handlers.ts';
import { handleMediaProtocol, registerMediaScheme } from './media-protocol.ts';
import { allowNavigation, allowPermission, allowPermissionCheck, APP_ORIGIN, APP_SCHEME, appFile, appOrigins, desktopCsp } from './security/policy.ts';

const devUrl = process.env.ELECTRON_RENDERER_URL;
const origins = appOrigins(app.isPackaged ? undefined : devUrl);
const rendererDir = path.join(import.meta.dirname, '../renderer');
/** Set while the user records a sound query: the only time the microphone may be granted. */
export const recording = { active: false };

// One instance: a second launch focuses the first instead of opening the catalog twice.
if (!app.requestSingleInstanceLock()) app.quit();

registerMediaScheme();
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    show: false,
    title: 'AltMoE Studio',
    // Electron's checklist, spelt out here so the static check (npm run check:electron) sees it.
    webPreferences: {
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(devUrl && !app.isPackaged ? devUrl : `${APP_ORIGIN}/index.html`);
  return win;
}

// App-wide guards for every web contents (windows, webviews, anything created later): no new
// windows, no navigation or redirects off the app, no webviews.
app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!allowNavigation(url, origins)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!allowNavigation(url, origins)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

let mainWindow: BrowserWindow | null = null;

void app.whenReady().then(() => {
  // The built renderer, and nothing else, on the app protocol.
  protocol.handle(APP_SCHEME, (request) => {
    const file = appFile(request.url, rendererDir);
    return file ? net.fetch(pathToFileURL(file).toString()) : new Response('not found', { status: 404 });
  });
  session.defaultSession.setPermissionRequestHandler((wc, permission, callback, details) =>
    callback(allowPermission(permission, details.requestingUrl ?? wc.getURL(), { mediaTypes: (details as { mediaTypes?: string[] }).mediaTypes }, { recording: recording.active, origins })),
  );
  session.defaultSession.setPermissionCheckHandler((_wc, permission, requestingOrigin) => allowPermissionCheck(permission, requestingOrigin, origins));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [desktopCsp()] } });
  });
  const catalog = Catalog.open(defaultCatalogPath(), { create: true });
  const service = new EngineService(catalog, { version: app.getVersion(), mode: 'electron' });
  registerHandlers(service, () => mainWindow?.webContents ?? null, origins, recording);
  void service.warmSearch();
  handleMediaProtocol(catalog);
  app.on('will-quit', () => {
    void service.close().finally(() => catalog.close());
  });
  mainWindow = createWindow();
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
