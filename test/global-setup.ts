// One folder for the whole test run, where expensive fixtures are built once and shared by every
// file that needs them (test/shared-fixtures.ts); removed when the run ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    sharedFixtures: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-shared-fixtures-'));
  project.provide('sharedFixtures', dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
