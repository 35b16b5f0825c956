#!/usr/bin/env python3
"""FAISS reference for `npm run bench:search`: exact inner-product search (IndexFlatIP) of the same
unit vectors and queries, one query at a time, with the thread count given. Prints one JSON line."""
import json
import sys
import time

import faiss
import numpy as np

vectors_file, queries_file, k, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
faiss.omp_set_num_threads(threads)
x = np.load(vectors_file, mmap_mode="r")
q = np.load(queries_file)
index = faiss.IndexFlatIP(x.shape[1])
index.add(np.ascontiguousarray(x))
times = []
results = []
for i in range(q.shape[0]):
    t = time.perf_counter()
    _, idx = index.search(q[i : i + 1], k)
    times.append((time.perf_counter() - t) * 1000)
    results.append(idx[0].tolist())
times.sort()
print(json.dumps({"p50_ms": times[len(times) // 2], "p95_ms": times[int(len(times) * 0.95)], "results": results}))
