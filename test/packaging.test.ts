// Desktop packaging cannot run here (electron-builder downloads Electron), so this checks what can
// be checked: the configuration passes electron-builder's own validation, and its asarUnpack globs
// cover every native file (addons and shared libraries) that the shipped dependencies contain,
// since native code cannot be loaded from inside an asar archive.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const config = JSON.parse(readFileSync(path.join(ROOT, 'electron-builder.json'), 'utf8')) as { asarUnpack: string[]; files: string[] };
const NATIVE = /\.(node|dylib|dll)$|\.so(\.\d+)*$/;
const NATIVE_PACKAGES = ['better-sqlite3', 'onnxruntime-node', 'sharp', '@img', 'usearch'];

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

describe('desktop packaging (electron-builder)', () => {
  it('the configuration validates against electron-builder', async () => {
    const { $schema: _schema, ...rest } = config as typeof config & { $schema?: string };
    const debug = { isEnabled: false, add: () => {}, save: async () => {} };
    await expect(validateConfiguration(rest as never, debug as never)).resolves.toBeUndefined();
    // The validation is real: a misspelt option is refused.
    await expect(validateConfiguration({ ...rest, asarUnpak: ['x'] } as never, debug as never)).rejects.toThrow(/asarUnpak/);
  });

  it('asarUnpack covers every native file of the shipped native packages, and each glob matches something', () => {
    const natives = NATIVE_PACKAGES.flatMap((p) => walk(path.join(ROOT, 'node_modules', p)))
      .map((f) => path.relative(ROOT, f).split(path.sep).join('/'))
      .filter((f) => NATIVE.test(f) && !f.includes('/obj.target/'));
    expect(natives.length).toBeGreaterThan(5);
    expect(natives).toContain('node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    const uncovered = natives.filter((f) => !config.asarUnpack.some((g) => path.matchesGlob(f, g)));
    expect(uncovered).toEqual([]);
    for (const glob of config.asarUnpack) expect(natives.some((f) => path.matchesGlob(f, glob)), glob).toBe(true);
  });

  it('the built main process has every worker thread next to the code that starts it', () => {
    // workers.ts starts a built worker as new URL('./<name>.js', import.meta.url): relative to the
    // bundle it ended up in. npm test builds before it runs the tests.
    const main = path.join(ROOT, 'out/main');
    expect(existsSync(main), 'out/main is missing: run npm run build').toBe(true);
    const names = walk(path.join(ROOT, 'src-main'))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/(?:spawnWorker|spawnJobProcess)\(new URL\('[^']+', import\.meta\.url\), '([\w-]+)'|JOB_WORKER = '([\w-]+)'/g)].map((m) => (m[1] ?? m[2])!));
    expect(names).toEqual(expect.arrayContaining(['job-worker', 'inference-worker', 'search-worker']));
    for (const name of names) expect(existsSync(path.join(main, `${name}.js`)), name).toBe(true);
    const spawners = walk(main).filter((f) => f.endsWith('.js') && readFileSync(f, 'utf8').includes('function spawnWorker('));
    expect(spawners.length).toBeGreaterThan(0);
    for (const f of spawners) expect(path.dirname(f), f).toBe(main);
  });

  it('npm run dist builds the renderer first and uses this configuration', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; main: string };
    expect(pkg.scripts.dist).toBe('electron-vite build && electron-builder --config electron-builder.json');
    expect(config.files).toContain('out/**');
    expect(pkg.main).toBe('out/main/index.js');
  });

  it('packaged builds set the Electron fuses: no ELECTRON_RUN_AS_NODE, NODE_OPTIONS or --inspect, encrypted cookies, the app only from its checked asar', async () => {
    const fuses = (config as unknown as { electronFuses: Record<string, boolean> }).electronFuses;
    expect(fuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // electron-builder applies them with @electron/fuses at packaging; its schema knows each name.
    const { $schema: _schema, ...rest } = config as typeof config & { $schema?: string };
    const debug = { isEnabled: false, add: () => {}, save: async () => {} };
    await expect(validateConfiguration({ ...rest, electronFuses: { ...fuses, runAsNod: false } } as never, debug as never)).rejects.toThrow(/electronFuses/);
    // The app loads from the asar: nothing may ask for file:// privileges.
    expect(readFileSync(path.join(ROOT, 'src-main/app/main.ts'), 'utf8')).not.toMatch(/loadFile\(|file:\/\//);
  });

  it('resources/ holds the app icon electron-builder builds every platform icon from (at least 512 px), referenced by the configuration', async () => {
    const cfg = config as unknown as { icon: string; directories: { buildResources: string }; linux: { icon: string } };
    expect(cfg.directories.buildResources).toBe('resources');
    expect(cfg.icon).toBe('resources/icon.png');
    expect(cfg.linux.icon).toBe('resources/icon.png');
    const { default: sharp } = await import('sharp');
    const meta = await sharp(path.join(ROOT, cfg.icon)).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(meta.height);
    expect(meta.width).toBeGreaterThanOrEqual(512);
  });
});
