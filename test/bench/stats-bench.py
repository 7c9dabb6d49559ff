#!/usr/bin/python3
"""NumPy / scikit-learn / SciPy equivalents of test/bench/stats.bench.ts, one JSON line each.

    /usr/bin/python3 test/bench/stats-bench.py [auc|bootstrap|fid ...]
"""
import json
import sys
import time

import numpy as np
import scipy.linalg
from sklearn.metrics import roc_auc_score


def median_time(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def emit(name, impl, seconds, **extra):
    print(json.dumps({"bench": name, "impl": impl, "seconds": seconds, **extra}), flush=True)


rng = np.random.default_rng(0)
only = set(sys.argv[1:])

if not only or "auc" in only:
    y = rng.integers(0, 2, 100_000)
    s = rng.random(100_000)
    roc_auc_score(y, s)
    emit("stats/roc-auc-100k", "sklearn.roc_auc_score", median_time(lambda: roc_auc_score(y, s), 5))

if not only or "bootstrap" in only:
    n, resamples, timed = 10_000, 10_000, 1_000
    y = rng.integers(0, 2, n)
    s = rng.random(n)

    def boot():
        stats = np.empty(timed)
        for r in range(timed):
            idx = rng.integers(0, n, n)
            stats[r] = roc_auc_score(y[idx], s[idx])
        return np.percentile(stats, [2.5, 97.5])

    # The loop is linear in the resample count: time 1,000 and scale to 10,000.
    emit("stats/bootstrap-auc-10k-x10k", "numpy+sklearn loop", median_time(boot, 1) * resamples / timed,
         extrapolatedFrom=timed)

if not only or "fid" in only:
    a = rng.standard_normal((5000, 2048))
    b = rng.standard_normal((5000, 2048)) * 1.1 + 0.1

    def fid():
        m1, m2 = a.mean(0), b.mean(0)
        s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
        d = m1 - m2
        return d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real)

    emit("stats/fid-2048x5000", "numpy.cov+scipy.linalg.sqrtm (pytorch-fid)", median_time(fid, 1))
