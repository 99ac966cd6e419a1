#!/usr/bin/env python3
"""Fashion-MNIST from Debian's dataset-fashion-mnist as .npy inputs for gpuspread.

Writes X70.npy (70,000 x 784 float32 pixels, train then test), y70.npy (1% labeled, seed 0, -1 elsewhere),
t70.npy (every true label) and Xo70.npy (X70 with pixel 400 of row 43210 set to the sentinel 1e8) into OUT.
Usage: /usr/bin/python3 bench/harness/fmnist.py OUT
"""
import gzip
import os
import sys

import numpy as np

SOURCE = "/usr/share/datasets/fashion-mnist/"


def read(name, offset, shape):
    with gzip.open(SOURCE + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset).reshape(shape)


def main(out):
    os.makedirs(out, exist_ok=True)
    x = np.vstack([read("train-images-idx3-ubyte.gz", 16, (-1, 784)), read("t10k-images-idx3-ubyte.gz", 16, (-1, 784))])
    t = np.concatenate([read("train-labels-idx1-ubyte.gz", 8, (-1,)), read("t10k-labels-idx1-ubyte.gz", 8, (-1,))])
    x = x.astype(np.float32)
    t = t.astype(np.int64)
    y = np.full(len(t), -1)
    labeled = np.random.RandomState(0).choice(len(t), len(t) // 100, replace=False)
    y[labeled] = t[labeled]
    np.save(os.path.join(out, "X70.npy"), x)
    np.save(os.path.join(out, "y70.npy"), y)
    np.save(os.path.join(out, "t70.npy"), t)
    x[43210, 400] = 1e8
    np.save(os.path.join(out, "Xo70.npy"), x)


if __name__ == "__main__":
    main(sys.argv[1])
