// Child process for the crash test: trains and prints each checkpoint, until it is killed.
import { train } from '../../src-main/core/train/trainer.ts';
import { moeJob, synthetic } from './fixtures.ts';
import { buildModel } from '../../src-main/core/model/build.ts';

const [dir, steps] = process.argv.slice(2) as [string, string];
await train(buildModel, moeJob(dir, Number(steps)), { train: { main: synthetic(512, 8, 4, 0.1, 2) } }, (e) => {
  if (e.type === 'checkpoint') {
    process.stdout.write(`checkpoint ${e.step}\n`);
    // Slow down so the parent can kill it mid-run.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
  }
  if (e.type === 'done') process.stdout.write('done\n');
});
