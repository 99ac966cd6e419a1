#!/usr/bin/python3
"""Deterministic synthetic data for the GpuSpread / scikit-learn side-by-side benchmark.

Usage:
    /usr/bin/python3 bench/harness/synth.py --n 100000 --d 64 --classes 10 \
        --labeled-fraction 0.01 --seed 0 --out bench/work/data/n100000

Writes DIR/X.npy (float32, C-order, n x d), DIR/y.npy (int64, -1 = unlabeled),
DIR/y_true.npy (int64) and DIR/meta.json (the parameters, used as a cache key).

The data
--------
* ``classes`` centers are drawn uniformly in [-0.5, 0.5]^d.
* Labels: round-robin (row i gets class i % classes), then shuffled with the seed,
  so class sizes differ by at most one.
* Each point = its class's center + N(0, 0.1^2) independently per coordinate.
* The labeled rows are a seeded random subset of size
  m = max(classes, round(labeled_fraction * n)) that contains at least one row of
  every class: one random row per class first, then m - classes more rows drawn
  uniformly without replacement from the rest.

Why this shape (it is meaningful for scikit-learn's default gamma = 20):
* Within a class, the squared distance between two points is about
  2 * d * 0.1^2 = 1.28 for d = 64, so rbf affinities are around
  exp(-20 * 1.28) = exp(-25.6), about 1e-11: tiny, but far above float32's and
  float64's smallest normal numbers, so the within-class graph is connected.
* Across classes, the squared distance between two centers is about
  d * E[(u - v)^2] = 64 * 1/6 = 10.7 (plus the 1.28 of noise), so affinities are around
  exp(-20 * 12) = exp(-240) (seed 0: median exp(-231), largest exp(-114)). That is below
  float32's range (its smallest subnormal is exp(-103)): with float32 X, which
  scikit-learn keeps in float32, the kernel is exactly block-diagonal by class, and the
  C# engine's stabilised exponents must cope with it. In float64 these are small normal
  numbers: none underflows, none is subnormal.
* History: the box was first [-1, 1]^d (median exp(-843), 79% of cross-class pairs past
  float64's underflow, 9% in its subnormal range). It was narrowed after an n = 8,000
  scikit-learn run seemed to take over 7 minutes, blamed on subnormal arithmetic. That
  run was almost certainly the harness's own test under a 0.6 GiB `prlimit --as`, where
  OpenBLAS spun (inside the distance products, before any exponential) after failing
  to get its work buffers; sklearn_run.py now warms BLAS up first.
  Without that limit, [-1, 1]^d data at n = 8,000 fits in 4-6 s (float32) and 7-9 s
  (float64) here, against 2-4 s and 5-6 s for [-0.5, 0.5]^d in the same session on the
  same shared machine. The box stays [-0.5, 0.5]^d because the recorded results use it.

Determinism: everything comes from one ``numpy.random.default_rng(seed)`` stream,
consumed in a fixed order (centers, label shuffle, noise in fixed-size chunks of
CHUNK_ROWS rows, labeled subset). The output depends only on the arguments and the
numpy version: NEP 19 does not promise Generator streams stable across numpy releases
(checked here with Debian's numpy 1.24.2). meta.json records the numpy version.
Memory: X is written through a memory map chunk by chunk; for n = 1,000,000, d = 64
the peak is about X's size (256 MB) in page cache plus one 32 MB float64 chunk.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

CHUNK_ROWS = 65536
NOISE_STD = 0.1
FORMAT_VERSION = 1


def labeled_count(n, classes, fraction):
    return max(classes, int(round(fraction * n)))


def partial_labels(y_true, classes, m, rng):
    """y_true with all but m rows set to -1: one random row of each class, then m - classes more uniformly."""
    n = len(y_true)
    first = np.empty(classes, dtype=np.int64)
    for c in range(classes):
        rows = np.flatnonzero(y_true == c)
        first[c] = rows[rng.integers(len(rows))]
    mask = np.ones(n, dtype=bool)
    mask[first] = False
    rest_pool = np.flatnonzero(mask)
    rest = rng.choice(rest_pool, size=m - classes, replace=False) if m > classes else \
        np.empty(0, dtype=np.int64)
    labeled = np.concatenate([first, rest])
    y = np.full(n, -1, dtype=np.int64)
    y[labeled] = y_true[labeled]
    return y


def generate(n, d, classes, fraction, seed, out):
    if n < classes:
        raise ValueError(f"n ({n}) must be at least classes ({classes})")
    m = labeled_count(n, classes, fraction)
    if m > n:
        raise ValueError(f"labeled count {m} exceeds n {n}")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)

    # 1. class centers
    centers = rng.uniform(-0.5, 0.5, size=(classes, d))

    # 2. labels: round-robin then shuffled
    y_true = np.arange(n, dtype=np.int64) % classes
    rng.shuffle(y_true)

    # 3. points, chunk by chunk, through a memory map
    tmp_x = os.path.join(out, "X.npy.tmp")
    X = np.lib.format.open_memmap(tmp_x, mode="w+", dtype=np.float32, shape=(n, d),
                                  fortran_order=False)
    for start in range(0, n, CHUNK_ROWS):
        stop = min(n, start + CHUNK_ROWS)
        noise = rng.standard_normal(size=(stop - start, d))
        noise *= NOISE_STD
        noise += centers[y_true[start:stop]]
        X[start:stop] = noise.astype(np.float32)
    X.flush()
    del X

    # 4. labeled subset
    y = partial_labels(y_true, classes, m, rng)

    np.save(os.path.join(out, "y_true.npy"), y_true)
    np.save(os.path.join(out, "y.npy"), y)
    os.replace(tmp_x, os.path.join(out, "X.npy"))
    meta = params_dict(n, d, classes, fraction, seed)
    meta["n_labeled"] = int(m)
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def params_dict(n, d, classes, fraction, seed):
    return {"generator": "bench/harness/synth.py", "format_version": FORMAT_VERSION,
            "n": int(n), "d": int(d), "classes": int(classes),
            "labeled_fraction": float(fraction), "seed": int(seed),
            "noise_std": NOISE_STD, "chunk_rows": CHUNK_ROWS,
            "numpy": np.__version__}


def is_cached(out, n, d, classes, fraction, seed):
    """True when OUT already holds data generated with exactly these parameters."""
    try:
        with open(os.path.join(out, "meta.json")) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    want = params_dict(n, d, classes, fraction, seed)
    if any(meta.get(k) != v for k, v in want.items()):
        return False
    return all(os.path.exists(os.path.join(out, f)) for f in ("X.npy", "y.npy", "y_true.npy"))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--d", type=int, default=64)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--labeled-fraction", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--force", action="store_true",
                   help="regenerate even if OUT already holds the same data")
    a = p.parse_args(argv)
    if not a.force and is_cached(a.out, a.n, a.d, a.classes, a.labeled_fraction, a.seed):
        print(f"synth: cached {a.out}", file=sys.stderr)
        return 0
    t0 = time.perf_counter()
    meta = generate(a.n, a.d, a.classes, a.labeled_fraction, a.seed, a.out)
    print(f"synth: wrote {a.out} (n={meta['n']}, d={meta['d']}, classes={meta['classes']}, "
          f"labeled={meta['n_labeled']}) in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
