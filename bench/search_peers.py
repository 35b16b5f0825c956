#!/usr/bin/env python3
"""FAISS references for `npm run bench:search` (Debian's python3-faiss), on the same vectors and
queries as ours: exact (IndexFlatIP), HNSW (M=32), IVF-flat and IVF-PQ (with exact re-ranking).
Each approximate index is tuned per query kind to the smallest search setting whose recall@10
against exact search reaches the target; single queries are timed at 1 thread (FAISS's fastest for
one query: no OpenMP fan-out), batches at the given thread count. Prints one JSON object.

Usage: search_peers.py VECTORS.npy QUERIES_IN.npy QUERIES_CROSS.npy K THREADS TARGET"""
import json
import sys
import time

import faiss
import numpy as np

from blas_info import blas_info

vectors_file, in_file, cross_file = sys.argv[1:4]
k, threads, target = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
x = np.ascontiguousarray(np.load(vectors_file))
queries = {"in_dist": np.ascontiguousarray(np.load(in_file)), "cross_modal": np.ascontiguousarray(np.load(cross_file))}
n, d = x.shape


def percentiles(times):
    times = sorted(times)
    return {"p50_ms": times[len(times) // 2], "p95_ms": times[int(len(times) * 0.95)]}


def single(index, q, limit=None):
    faiss.omp_set_num_threads(1)
    index.search(q[:1], k)
    times, found = [], []
    for i in range(min(q.shape[0], limit or q.shape[0])):
        t = time.perf_counter()
        _, idx = index.search(q[i : i + 1], k)
        times.append((time.perf_counter() - t) * 1000)
        found.append(idx[0])
    return percentiles(times), np.stack(found)


def batched(index, q):
    faiss.omp_set_num_threads(threads)
    t = time.perf_counter()
    index.search(q, k)
    return {"batch_ms_per_query": (time.perf_counter() - t) * 1000 / q.shape[0], "batch_threads": threads}


def recall(found, truth):
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / k for f, t in zip(found, truth)]))


faiss.omp_set_num_threads(threads)
flat = faiss.IndexFlatIP(d)
flat.add(x)
truth = {}
out = {"n": n, "d": d, "k": k, "threads": threads, "faiss": getattr(faiss, "__version__", "?"), "blas": blas_info(), "indexes": {}}
# A flat single query takes about a second at 1M here: time 50 of them there (truth uses all).
flat_limit = 50 if n > 200_000 else None
for kind, q in queries.items():
    lat, found = single(flat, q, flat_limit)
    truth[kind] = flat.search(q, k)[1]
    out["indexes"].setdefault("faiss_flat", {})[kind] = {**lat, **batched(flat, q), "recall_at_10": recall(found, truth[kind]), "single_queries": len(found)}
# Each index is dropped once measured: at 1M x 768 every copy of the vectors is 3 GB.
del flat


def tune(name, index, set_param, values, build_seconds, settings):
    """For each query kind: the smallest value reaching the target (else the best), timed."""
    entry = {"build_seconds": build_seconds, "settings": settings}
    for kind, q in queries.items():
        chosen = None
        for v in values:
            set_param(v)
            lat, found = single(index, q)
            r = recall(found, truth[kind])
            chosen = {"param": v, **lat, "recall_at_10": r}
            if r >= target:
                break
        set_param(chosen["param"])
        chosen.update(batched(index, q))
        entry[kind] = chosen
    out["indexes"][name] = entry
    print(f"{name}: {json.dumps(entry)}", file=sys.stderr)


faiss.omp_set_num_threads(threads)
t = time.perf_counter()
hnsw = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
hnsw.add(x)
tune("faiss_hnsw", hnsw, lambda v: setattr(hnsw.hnsw, "efSearch", v), [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024], time.perf_counter() - t, {"M": 32, "efConstruction": hnsw.hnsw.efConstruction, "param": "efSearch"})
del hnsw

nlist = 1024 if n <= 200_000 else 4096
faiss.omp_set_num_threads(threads)
t = time.perf_counter()
ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
ivf.train(x[np.random.default_rng(1).choice(n, min(n, 64 * nlist), replace=False)])
ivf.add(x)
tune("faiss_ivf_flat", ivf, lambda v: setattr(ivf, "nprobe", v), [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256], time.perf_counter() - t, {"nlist": nlist, "param": "nprobe"})
del ivf

faiss.omp_set_num_threads(threads)
t = time.perf_counter()
pq = faiss.IndexIVFPQ(faiss.IndexFlatIP(d), d, nlist, d // 8, 8, faiss.METRIC_INNER_PRODUCT)
# The refine index keeps the exact vectors beside the codes: wrapped before anything is added.
refined = faiss.IndexRefineFlat(pq)
refined.k_factor = 4
refined.train(x[np.random.default_rng(2).choice(n, min(n, 64 * nlist), replace=False)])
refined.add(x)
tune("faiss_ivf_pq", refined, lambda v: setattr(faiss.downcast_index(refined.base_index), "nprobe", v), [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256], time.perf_counter() - t, {"nlist": nlist, "pq": f"{d // 8}x8", "refine": "flat, k_factor 4", "param": "nprobe"})

print(json.dumps(out))
