import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Native addons (better-sqlite3, onnxruntime) are safest in separate processes.
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
