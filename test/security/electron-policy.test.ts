// The desktop shell's guards with their inputs (Electron itself cannot run on these machines):
// permissions, IPC senders, navigation, the app protocol's files, the CSP, window settings.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowNavigation, allowPermission, allowPermissionCheck, allowSender, APP_ORIGIN, appFile, appOrigins, desktopCsp } from '../../src-main/app/security/policy.ts';

const origins = appOrigins();
const dev = appOrigins('http://localhost:5173/');

describe('desktop security policy', () => {
  it('grants the microphone only to the app, only while recording, only audio', () => {
    const page = `${APP_ORIGIN}/index.html`;
    expect(allowPermission('media', page, { mediaTypes: ['audio'] }, { recording: true, origins })).toBe(true);
    expect(allowPermission('media', page, { mediaTypes: ['audio'] }, { recording: false, origins })).toBe(false);
    expect(allowPermission('media', page, { mediaTypes: ['video'] }, { recording: true, origins })).toBe(false);
    expect(allowPermission('media', page, { mediaTypes: ['audio', 'video'] }, { recording: true, origins })).toBe(false);
    expect(allowPermission('media', page, {}, { recording: true, origins })).toBe(false);
    expect(allowPermission('media', 'https://evil.example/', { mediaTypes: ['audio'] }, { recording: true, origins })).toBe(false);
    expect(allowPermission('media', 'file:///etc/passwd', { mediaTypes: ['audio'] }, { recording: true, origins })).toBe(false);
    for (const p of ['geolocation', 'notifications', 'clipboard-read', 'display-capture', 'openExternal', 'midi']) expect(allowPermission(p, page, {}, { recording: true, origins })).toBe(false);
    expect(allowPermissionCheck('media', APP_ORIGIN, origins)).toBe(true);
    expect(allowPermissionCheck('media', 'https://evil.example', origins)).toBe(false);
    expect(allowPermissionCheck('geolocation', APP_ORIGIN, origins)).toBe(false);
  });

  it('answers IPC only from the app top frame', () => {
    expect(allowSender({ url: `${APP_ORIGIN}/index.html`, isMainFrame: true }, origins)).toBe(true);
    expect(allowSender({ url: `${APP_ORIGIN}/index.html`, isMainFrame: false }, origins)).toBe(false);
    expect(allowSender({ url: 'https://evil.example/', isMainFrame: true }, origins)).toBe(false);
    expect(allowSender({ url: 'file:///tmp/x.html', isMainFrame: true }, origins)).toBe(false);
    expect(allowSender({ url: 'altmoe-media://media/1', isMainFrame: true }, origins)).toBe(false);
    expect(allowSender(null, origins)).toBe(false);
    // The dev server is an app origin only when developing.
    expect(allowSender({ url: 'http://localhost:5173/', isMainFrame: true }, dev)).toBe(true);
    expect(allowSender({ url: 'http://localhost:5173/', isMainFrame: true }, origins)).toBe(false);
  });

  it('navigates nowhere but the app', () => {
    expect(allowNavigation(`${APP_ORIGIN}/index.html#/search`, origins)).toBe(true);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,<script>1</script>', 'app://other/index.html', 'not a url']) expect(allowNavigation(url, origins), url).toBe(false);
  });

  it('the app protocol serves only files of the built renderer', () => {
    const dir = '/opt/altmoe/out/renderer';
    expect(appFile('app://renderer/index.html', dir)).toBe(path.join(dir, 'index.html'));
    expect(appFile('app://renderer/', dir)).toBe(path.join(dir, 'index.html'));
    expect(appFile('app://renderer/assets/index-1.js', dir)).toBe(path.join(dir, 'assets/index-1.js'));
    // Literal dots are resolved by the URL parser before anything else: they stay inside.
    expect(appFile('app://renderer/../../../etc/passwd', dir)).toBe(path.join(dir, 'etc/passwd'));
    for (const url of ['app://renderer/%2e%2e/%2e%2e/etc/passwd', 'app://renderer/..%2f..%2fetc', 'app://renderer/a%00.js', 'app://renderer/..%5c..%5cx', 'app://other/index.html', 'file:///etc/passwd', 'app://renderer/%zz']) {
      expect(appFile(url, dir), url).toBeNull();
    }
  });

  it('the desktop CSP allows no sockets or remote hosts', () => {
    const csp = desktopCsp();
    expect(csp).not.toMatch(/ws:|wss:|http:|https:|\*/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
  });
});
