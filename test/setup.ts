// Runs before every test file. Files share one module cache per worker (vitest.config.ts: isolate
// false), so a hook registered when helpers.ts is first imported would serve only that file.
import { afterEach } from 'vitest';
import { cleanUpAfterTest } from './helpers.ts';

afterEach(cleanUpAfterTest);
