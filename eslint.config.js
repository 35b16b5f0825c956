// Lint, including the layering rules: who may import what (see README, "Architecture").
import { readFileSync } from 'node:fs';
import tseslint from 'typescript-eslint';

// The engine's folders, lowest first (test/architecture.test.ts checks the same list, and cycles).
const LAYERS = JSON.parse(readFileSync(new URL('./src-main/core/layers.json', import.meta.url), 'utf8')).order;
const ENGINE_PATHS = [{ name: 'electron', message: 'src-main/core is the engine: it runs in plain Node and must not import electron.' }];
const ENGINE_PATTERNS = [{ group: ['**/app/**', '**/src-preload/**', '**/src-renderer/**'], message: 'the engine must not import the app, preload or renderer layers.' }];

/** One block per engine folder: the folders listed after it are out of reach. */
const layerRules = LAYERS.map((layer, i) => ({
  files: [`src-main/core/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: ENGINE_PATHS,
        patterns: [
          ...ENGINE_PATTERNS,
          ...LAYERS.slice(i + 1).map((above) => ({
            group: [`../${above}/*`, `../../${above}/*`, `../../../${above}/*`],
            message: `${layer} sits below ${above} in src-main/core/layers.json: move the shared code down, or pass it in.`,
          })),
        ],
      },
    ],
  },
}));

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'worker_threads', 'stream', 'util', 'url'];

export default tseslint.config(
  { ignores: ['.tmp/**', 'out/**', 'dist/**', 'node_modules/**', 'bench/results/**', '**/*.vue'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The engine runs in plain Node (CLI, server mode, tests): it must never depend on Electron or the app layer.
    files: ['src-main/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ENGINE_PATHS,
          patterns: ENGINE_PATTERNS,
        },
      ],
    },
  },
  ...layerRules,
  {
    // Shared contract and types: pure TypeScript, loadable in the renderer.
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'src-shared must stay free of electron.' }],
          patterns: [
            { group: NODE_BUILTINS, message: 'src-shared must stay free of node built-ins.' },
            { group: ['**/src-main/**', '**/src-preload/**', '**/src-renderer/**'], message: 'src-shared imports nothing from the other layers.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src-renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'the renderer talks to the engine only through window.api.' }],
          patterns: [
            { group: NODE_BUILTINS, message: 'the renderer runs sandboxed: no node built-ins.' },
            { group: ['**/src-main/**', '**/src-preload/**'], message: 'the renderer may import only src-shared.' },
          ],
        },
      ],
    },
  },
);
