// Worker bootstrap for running the TypeScript sources directly (CLI via tsx, tests): registers
// tsx inside the worker thread, then loads the real worker module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
