import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) visit(p);
      else if (/\.(ts|vue)$/.test(e.name)) out.push(p);
    }
  };
  visit(path.join(ROOT, dir));
  return out;
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)];
  return specs.map((m) => m[1] ?? m[2] ?? m[3]!);
}

function violations(dir: string, forbidden: (spec: string, file: string) => boolean): string[] {
  return sources(dir).flatMap((f) => importsOf(f).filter((s) => forbidden(s, f)).map((s) => `${path.relative(ROOT, f)} imports ${s}`));
}

const resolvesInto = (spec: string, file: string, layer: string): boolean =>
  spec.startsWith('.') && path.resolve(path.dirname(file), spec).startsWith(path.join(ROOT, layer));

describe('layering (who may import what)', () => {
  it('finds the imports it checks (the scanner works)', () => {
    expect(importsOf(path.join(ROOT, 'src-main/app/main.ts'))).toContain('electron');
  });

  it('src-main/core (the engine) imports neither electron nor the app, preload or renderer layers', () => {
    expect(
      violations('src-main/core', (s, f) => s === 'electron' || resolvesInto(s, f, 'src-main/app') || resolvesInto(s, f, 'src-preload') || resolvesInto(s, f, 'src-renderer')),
    ).toEqual([]);
  });

  it('src-shared imports neither node, electron nor any other layer (only zod, which runs anywhere: the one set of request schemas)', () => {
    const PURE_PACKAGES = ['zod'];
    expect(
      violations('src-shared', (s, f) => !PURE_PACKAGES.includes(s) && (s === 'electron' || s.startsWith('node:') || !s.startsWith('.') || !path.resolve(path.dirname(f), s).startsWith(path.join(ROOT, 'src-shared')))),
    ).toEqual([]);
  });

  it('the renderer reaches the engine only through src-shared types and window.api', () => {
    expect(violations('src-renderer', (s, f) => s === 'electron' || s.startsWith('node:') || resolvesInto(s, f, 'src-main') || resolvesInto(s, f, 'src-preload'))).toEqual([]);
  });

  it('only one module imports onnxruntime-node (none yet is fine)', () => {
    const users = sources('src-main').filter((f) => importsOf(f).includes('onnxruntime-node'));
    expect(users.length).toBeLessThanOrEqual(1);
  });
});
