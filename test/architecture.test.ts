import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import LAYER_LIST from '../src-main/core/layers.json' with { type: 'json' };

const ROOT = path.resolve(import.meta.dirname, '..');
const CORE = path.join(ROOT, 'src-main/core');
const LAYERS: readonly string[] = LAYER_LIST.order;
/** The one file allowed past the size limit: ONNX's operator table. */
const LONG_FILES = ['onnx/ops.ts'];
const MAX_LINES = 400;

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

/** The engine file a relative specifier names, or null (a package, or outside the engine). */
function resolveInCore(spec: string, file: string): string | null {
  if (!spec.startsWith('.')) return null;
  const target = path.resolve(path.dirname(file), spec);
  return target.startsWith(CORE + path.sep) ? target : null;
}

const layerOf = (file: string): string => path.relative(CORE, file).split(path.sep)[0]!;

/** Imports that run up the layer list, as "from -> to" lines. */
export function upwardImports(edges: ReadonlyMap<string, readonly string[]>, layers: readonly string[]): string[] {
  const rank = new Map(layers.map((l, i) => [l, i]));
  const out: string[] = [];
  for (const [from, tos] of edges) {
    for (const to of tos) {
      const a = rank.get(layerOf(from));
      const b = rank.get(layerOf(to));
      if (a === undefined || b === undefined || b > a) out.push(`${path.relative(CORE, from)} -> ${path.relative(CORE, to)}`);
    }
  }
  return out;
}

/** Every import cycle between files (strongly connected components of more than one file, or a file importing itself). */
export function importCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.map((f) => path.relative(CORE, f)).sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

function coreEdges(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const f of sources('src-main/core')) edges.set(f, [...new Set(importsOf(f).map((s) => resolveInCore(s, f)).filter((t): t is string => t !== null))]);
  return edges;
}

describe('the engine\'s layers (src-main/core/layers.json)', () => {
  const edges = coreEdges();

  it('every engine file sits in a listed folder', () => {
    expect([...edges.keys()].map((f) => path.relative(CORE, f)).filter((f) => !LAYERS.includes(layerOf(path.join(CORE, f))) || !f.includes(path.sep))).toEqual([]);
  });

  it('no folder imports a folder listed after it', () => {
    expect(upwardImports(edges, LAYERS)).toEqual([]);
  });

  it('no import cycle between files', () => {
    expect(importCycles(edges)).toEqual([]);
  });

  it('the checks catch what they must (an upward import, a cycle)', () => {
    const f = (p: string): string => path.join(CORE, p);
    const bad = new Map([
      [f('model/a.ts'), [f('runs/b.ts')]],
      [f('runs/b.ts'), [f('runs/c.ts')]],
      [f('runs/c.ts'), [f('runs/b.ts'), f('util/d.ts')]],
    ]);
    expect(upwardImports(bad, LAYERS)).toEqual(['model/a.ts -> runs/b.ts']);
    expect(importCycles(bad)).toEqual([['runs/b.ts', 'runs/c.ts']]);
  });

  it(`no engine file is over ${MAX_LINES} lines (but the operator table)`, () => {
    const long = [...edges.keys()].filter((f) => !LONG_FILES.includes(path.relative(CORE, f)) && fs.readFileSync(f, 'utf8').split('\n').length > MAX_LINES);
    expect(long.map((f) => path.relative(CORE, f))).toEqual([]);
  });
});

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
