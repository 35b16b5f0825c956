import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src-main/app/main.ts'),
          // Every background job (util/job-host.ts starts it by kind; jobs/kinds.ts holds the bodies).
          'job-worker': resolve(import.meta.dirname, 'src-main/core/jobs/job-worker.ts'),
          // The encoder's inference thread (encoders/inference-client.ts loads it the same way).
          'inference-worker': resolve(import.meta.dirname, 'src-main/core/encoders/inference-worker.ts'),
          'search-worker': resolve(import.meta.dirname, 'src-main/core/search/search-worker.ts'),
        },
        // Shared chunks sit next to the entries, not in chunks/: workers.ts, wherever it is bundled,
        // finds the worker entries next to itself (new URL('./<name>.js', import.meta.url)).
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Sandboxed preload scripts cannot be ES modules: emit one self-contained CommonJS file.
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src-preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src-renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src-renderer/index.html') } },
    },
  },
});
