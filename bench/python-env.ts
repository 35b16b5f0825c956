// How every Python reference (PyTorch, FAISS) is started, so it runs at its best and fairly:
// Debian's torch and faiss call OpenBLAS (pthread build), which starts its own threads on top of
// the caller's; one BLAS thread per caller thread avoids the oversubscription that made torch at
// 2 threads 2.5x slower than at 1. The environment's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE pin a
// kernel and cache size that need not match this CPU: they are removed for the benchmark's child
// alone (never in tests or CI), and the kernel OpenBLAS then picks is recorded beside the figures.
export const UNSET_FOR_REFERENCE = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

/** The child environment of a Python reference. */
export function referenceEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
  for (const name of UNSET_FOR_REFERENCE) delete env[name];
  return env;
}

/** What the record says about that environment (the kernel comes from the reference itself). */
export function referenceEnvRecord(): Record<string, unknown> {
  return {
    OPENBLAS_NUM_THREADS: '1',
    unset: UNSET_FOR_REFERENCE.map((name) => ({ name, was: process.env[name] ?? null })),
  };
}
