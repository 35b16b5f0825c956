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

/** The Debian package that gives torch and faiss an optimised BLAS (they load libblas.so.3, which it provides). */
export const OPTIMISED_BLAS_PACKAGE = 'libopenblas0-pthread';

/**
 * Why a reference's figures cannot stand as a fair reference, or null when they can: without
 * OpenBLAS, Debian's torch and faiss fall back to the reference BLAS and run several times slower
 * (torch trained at 0.5 steps/s instead of 5), which would turn any ratio against them into a boast.
 */
export function unoptimisedBlas(blas: unknown): string | null {
  const b = (blas ?? {}) as { library?: string | null; core?: string };
  if (b.library && b.core && !b.core.startsWith('unknown')) return null;
  return `the Python reference ran without an optimised BLAS (${b.core ?? 'none loaded'}): install ${OPTIMISED_BLAS_PACKAGE} (apt-get install ${OPTIMISED_BLAS_PACKAGE}) and run again; no ratio is recorded`;
}
