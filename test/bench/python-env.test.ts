import { describe, expect, it } from 'vitest';
import { unoptimisedBlas } from '../../bench/python-env.ts';

describe('Python references (bench/python-env.ts)', () => {
  it('refuse to stand as a reference without an optimised BLAS, naming the package to install', () => {
    expect(unoptimisedBlas({ library: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3', core: 'Haswell', config: 'OpenBLAS 0.3.29', threads: 1 })).toBeNull();
    for (const blas of [{ library: null, core: 'unknown (no OpenBLAS loaded)' }, undefined, {}]) {
      expect(unoptimisedBlas(blas)).toMatch(/without an optimised BLAS .*install libopenblas0-pthread .*no ratio is recorded/);
    }
  });
});
