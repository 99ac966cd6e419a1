#!/usr/bin/env python3
"""Fashion-MNIST from Debian's dataset-fashion-mnist, raw pixels, with and without a sentinel (bench/RESULTS.md, "Far values").

Writes X70.npy (70,000 x 784 float32 pixels, train then test), y70.npy (1% labeled, seed 0, -1 elsewhere),
t70.npy (every true label) and Xo70.npy (X70 with pixel 400 of row 43210 set to the sentinel 1e8) into OUT.
Usage: /usr/bin/python3 bench/harness/fmnist.py OUT
"""
import os
import sys

import numpy as np

from real import fashion_mnist_pixels


def main(out):
    os.makedirs(out, exist_ok=True)
    x, t = fashion_mnist_pixels()
    x = x.astype(np.float32)
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
