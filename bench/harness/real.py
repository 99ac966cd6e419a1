#!/usr/bin/python3
"""Data sets closer to what users bring than synth.py's far-apart clusters.

Usage:
    /usr/bin/python3 bench/harness/real.py --dataset fashion-mnist --n 10000 --out DIR
    /usr/bin/python3 bench/harness/real.py --dataset overlapping --n 20000 --out DIR

Writes DIR/X.npy (float32), DIR/y.npy (int64, -1 = unlabeled), DIR/y_true.npy and DIR/meta.json (the cache key), as
synth.py does, with the labeled rows chosen by synth.partial_labels (one row of each class, then uniformly;
numpy.random.default_rng(seed)).

* fashion-mnist: the first n of Fashion-MNIST's 70,000 images (the 60,000 training images, then the 10,000 test
  images), pixels / 255 as float32, 784 features, 10 classes. From Debian's dataset-fashion-mnist
  (apt-get install dataset-fashion-mnist), read from its IDX files.
* overlapping: scikit-learn's make_classification(n, 64 features, 32 informative, no redundant, 10 classes,
  random_state=seed) as float32: classes that overlap, so that accuracy stays below 100%.
"""
import argparse
import gzip
import json
import os
import sys

import numpy as np

import synth

FASHION_MNIST = "/usr/share/datasets/fashion-mnist/"
FORMAT_VERSION = 1


def read_idx(name, offset, shape):
    path = os.path.join(FASHION_MNIST, name)
    if not os.path.exists(path):
        raise SystemExit(f"real.py: {path} is missing: apt-get install dataset-fashion-mnist")
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset).reshape(shape)


def fashion_mnist_pixels():
    """All 70,000 images (uint8, 70,000 x 784) and their labels (int64), training images first."""
    x = np.vstack([read_idx("train-images-idx3-ubyte.gz", 16, (-1, 784)),
                   read_idx("t10k-images-idx3-ubyte.gz", 16, (-1, 784))])
    y = np.concatenate([read_idx("train-labels-idx1-ubyte.gz", 8, (-1,)),
                        read_idx("t10k-labels-idx1-ubyte.gz", 8, (-1,))]).astype(np.int64)
    return x, y


def make(dataset, n, fraction, seed):
    if dataset == "fashion-mnist":
        pixels, y_true = fashion_mnist_pixels()
        if n > len(y_true):
            raise SystemExit(f"real.py: Fashion-MNIST has {len(y_true)} rows, not {n}")
        x = pixels[:n].astype(np.float32) / np.float32(255)
        y_true = y_true[:n]
    elif dataset == "overlapping":
        from sklearn.datasets import make_classification
        x, y_true = make_classification(n_samples=n, n_features=64, n_informative=32, n_redundant=0,
                                         n_classes=10, random_state=seed)
        x = x.astype(np.float32)
        y_true = y_true.astype(np.int64)
    else:
        raise ValueError(dataset)
    classes = int(y_true.max()) + 1
    rng = np.random.default_rng(seed)
    y = synth.partial_labels(y_true, classes, synth.labeled_count(n, classes, fraction), rng)
    return x, y, y_true


def params_dict(dataset, n, fraction, seed):
    return {"generator": "bench/harness/real.py", "format_version": FORMAT_VERSION, "dataset": dataset,
            "n": int(n), "labeled_fraction": float(fraction), "seed": int(seed), "numpy": np.__version__}


def is_cached(out, dataset, n, fraction, seed):
    try:
        with open(os.path.join(out, "meta.json")) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    if any(meta.get(k) != v for k, v in params_dict(dataset, n, fraction, seed).items()):
        return False
    return all(os.path.exists(os.path.join(out, f)) for f in ("X.npy", "y.npy", "y_true.npy"))


def write(dataset, n, fraction, seed, out):
    x, y, y_true = make(dataset, n, fraction, seed)
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "X.npy"), x)
    np.save(os.path.join(out, "y.npy"), y)
    np.save(os.path.join(out, "y_true.npy"), y_true)
    meta = params_dict(dataset, n, fraction, seed)
    meta["d"] = int(x.shape[1])
    meta["n_labeled"] = int((y >= 0).sum())
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", choices=["fashion-mnist", "overlapping"], required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--labeled-fraction", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--force", action="store_true", help="rewrite even if OUT already holds the same data")
    a = p.parse_args(argv)
    if not a.force and is_cached(a.out, a.dataset, a.n, a.labeled_fraction, a.seed):
        print(f"real: cached {a.out}", file=sys.stderr)
        return 0
    meta = write(a.dataset, a.n, a.labeled_fraction, a.seed, a.out)
    print(f"real: wrote {a.out} ({a.dataset}, n={meta['n']}, d={meta['d']}, labeled={meta['n_labeled']})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
