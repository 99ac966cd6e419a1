#!/usr/bin/python3
"""Fit scikit-learn's LabelSpreading / LabelPropagation on .npy data, write the same
files as the GpuSpread CLI.

Usage:
    /usr/bin/python3 bench/harness/sklearn_run.py --data X.npy --labels y.npy \
        --model spreading|propagation --kernel rbf|knn [--gamma 20] [--n-neighbors 7] \
        [--alpha 0.2] [--max-iter N] [--tol 1e-3] [--n-jobs J] --out DIR

Writes
    DIR/predictions.csv   one predicted label per line (transduction_), no header
    DIR/summary.json      n, d, classes, n_iter, converged, engine ("sklearn"),
                          device ("cpu"), seconds (fit only), plus the parameters,
                          versions and the BLAS that numpy uses (threadpoolctl)
    DIR/distributions.csv only with --write-distributions (label_distributions_)

Exit status: 0 ok; 3 MemoryError (summary.json then has "error": "MemoryError");
4 any other exception (summary.json has "error": the exception's type name).

--max-iter defaults to scikit-learn's own default for the model (30 for spreading,
1000 for propagation); --alpha is only used by spreading (LabelPropagation has none).
converged is false exactly when scikit-learn emitted its ConvergenceWarning
(max_iter reached).
"""
import argparse
import json
import os
import platform
import sys
import time
import traceback
import warnings


def blas_info():
    try:
        import threadpoolctl
        return threadpoolctl.threadpool_info()
    except Exception as e:  # threadpoolctl missing or broken: say so
        return [{"error": f"threadpoolctl unavailable: {type(e).__name__}: {e}"}]


def blas_warmup(np):
    for dtype in (np.float32, np.float64):
        a = np.ones((1024, 1024), dtype=dtype)
        a @ a  # large enough for OpenBLAS to use all its threads
        a[:, :1].T @ a  # gemv path


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, default=str)
        f.write("\n")
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="X.npy, n x d")
    p.add_argument("--labels", required=True, help="y.npy, int, -1 for unlabeled")
    p.add_argument("--model", choices=["spreading", "propagation"], default="spreading")
    p.add_argument("--kernel", choices=["rbf", "knn"], default="rbf")
    p.add_argument("--gamma", type=float, default=20.0)
    p.add_argument("--n-neighbors", type=int, default=7)
    p.add_argument("--alpha", type=float, default=0.2)
    p.add_argument("--max-iter", type=int, default=None,
                   help="default: scikit-learn's (30 spreading, 1000 propagation)")
    p.add_argument("--tol", type=float, default=1e-3)
    p.add_argument("--n-jobs", type=int, default=None,
                   help="passed to scikit-learn (knn kernel only); default None = 1 job")
    p.add_argument("--write-distributions", action="store_true")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    summary_path = os.path.join(a.out, "summary.json")
    for stale in ("summary.json", "predictions.csv", "distributions.csv"):
        try:
            os.remove(os.path.join(a.out, stale))
        except FileNotFoundError:
            pass

    summary = {"tool": "sklearn", "engine": "sklearn", "device": "cpu",
               "model": a.model, "kernel": a.kernel,
               "params": {"gamma": a.gamma, "n_neighbors": a.n_neighbors,
                          "alpha": a.alpha if a.model == "spreading" else None,
                          "max_iter": a.max_iter, "tol": a.tol, "n_jobs": a.n_jobs},
               "data": os.path.abspath(a.data), "labels": os.path.abspath(a.labels),
               "python": platform.python_version(),
               "env": {k: os.environ.get(k) for k in
                       ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                        "OMP_NUM_THREADS")}}
    stage = "import"
    try:
        import numpy as np
        import sklearn
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.semi_supervised import LabelPropagation, LabelSpreading
        summary["versions"] = {"numpy": np.__version__, "sklearn": sklearn.__version__}
        summary["blas"] = blas_info()

        # OpenBLAS allocates its per-thread work buffers lazily, on the first BLAS call
        # of each thread, and under an address-space limit (prlimit --as) a failed buffer
        # allocation makes it spin forever instead of failing. Warm them up first
        # (before loading the data), so that a later shortage
        # surfaces as numpy's MemoryError.
        stage = "blas-warmup"
        blas_warmup(np)

        stage = "load"
        X = np.load(a.data)
        y = np.load(a.labels)
        summary.update({"n": int(X.shape[0]), "d": int(X.shape[1]),
                        "dtype": str(X.dtype),
                        "classes": int(np.unique(y[y != -1]).size),
                        "n_labeled": int((y != -1).sum())})

        kw = {"kernel": a.kernel, "gamma": a.gamma, "n_neighbors": a.n_neighbors,
              "tol": a.tol, "n_jobs": a.n_jobs}
        if a.max_iter is not None:
            kw["max_iter"] = a.max_iter
        if a.model == "spreading":
            model = LabelSpreading(alpha=a.alpha, **kw)
        else:
            model = LabelPropagation(**kw)
        summary["params"]["max_iter"] = model.max_iter

        stage = "fit"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            t0 = time.perf_counter()
            model.fit(X, y)
            seconds = time.perf_counter() - t0
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        summary.update({"n_iter": int(model.n_iter_), "converged": bool(converged),
                        "seconds": seconds})

        stage = "write"
        pred = np.asarray(model.transduction_).astype(np.int64)
        np.savetxt(os.path.join(a.out, "predictions.csv"), pred, fmt="%d")
        if a.write_distributions:
            np.savetxt(os.path.join(a.out, "distributions.csv"),
                       model.label_distributions_, fmt="%.9g", delimiter=",")
        write_json(summary_path, summary)
        print(f"sklearn_run: {a.model}/{a.kernel} n={summary['n']} n_iter={summary['n_iter']} "
              f"converged={converged} fit {seconds:.3f} s", file=sys.stderr)
        return 0
    except MemoryError:
        summary.update({"error": "MemoryError", "stage": stage})
        X = model = None  # noqa: F841  free what we can before writing
        write_json(summary_path, summary)
        print(f"sklearn_run: MemoryError during {stage}", file=sys.stderr)
        return 3
    except Exception as e:
        summary.update({"error": type(e).__name__, "message": str(e)[:2000], "stage": stage})
        traceback.print_exc()
        write_json(summary_path, summary)
        return 4


if __name__ == "__main__":
    sys.exit(main())
