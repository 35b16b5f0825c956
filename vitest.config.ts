import { defineConfig } from 'vitest/config';
import LongestFirst from './test/sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Native addons (better-sqlite3, onnxruntime) are safest in separate processes.
    pool: 'forks',
    // Files in one worker share its module cache: each file importing ONNX Runtime, transformers.js
    // and the engine again cost 30 s of the suite's CPU. Tests restore what they change (env
    // variables, options); per-test cleanup is registered for every file by test/setup.ts.
    isolate: false,
    setupFiles: ['./test/setup.ts'],
    // Two files at a time: vitest's default on a 2-core machine is one (cores - 1), which left a core
    // idle while a file waited on its child processes, Chromium or a worker; longest files first
    // (test/sequencer.ts) so the long end-to-end files overlap instead of one running alone at the end.
    maxWorkers: Number(process.env.ALTMOE_TEST_WORKERS ?? 2),
    sequence: { sequencer: LongestFirst },
    // Expensive fixtures (the GloVe encoder) are built once per run into a folder it provides.
    globalSetup: ['./test/global-setup.ts'],
    // A page's answer (a search, a scan, a job) can take seconds while another file trains on the
    // other core: polls wait for it rather than failing after expect.poll's default second.
    expect: { poll: { timeout: 15_000 } },
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
