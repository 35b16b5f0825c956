// Lint, including the layering rules: who may import what (see README, "Architecture").
import tseslint from 'typescript-eslint';

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
          paths: [{ name: 'electron', message: 'src-main/core is the engine: it runs in plain Node and must not import electron.' }],
          patterns: [
            { group: ['**/app/**', '**/src-preload/**', '**/src-renderer/**'], message: 'the engine must not import the app, preload or renderer layers.' },
          ],
        },
      ],
    },
  },
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
