#!/usr/bin/python3
"""Writes the bundled digits example from scikit-learn's copy of the data (Debian: python3-sklearn).

  X.csv.gz   1797 x 64 pixel counts (0..16), one 8x8 image per row, no header
  y.csv      the labels GpuSpread is given: the first 10 rows of each digit keep their label, the rest -1
  y_true.csv every row's true digit (the answer key, for scoring)

Run: /usr/bin/python3 examples/digits/make_example.py
"""
import gzip
import os

import numpy as np

SOURCE = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
HERE = os.path.dirname(os.path.abspath(__file__))
LABELED_PER_CLASS = 10

data = np.loadtxt(SOURCE, delimiter=",", dtype=np.int64)
x, y_true = data[:, :-1], data[:, -1]
y = np.full_like(y_true, -1)
for digit in range(10):
    y[np.flatnonzero(y_true == digit)[:LABELED_PER_CLASS]] = digit

# mtime=0 keeps the gzip bytes identical from run to run.
with open(os.path.join(HERE, "X.csv.gz"), "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
    out.write("".join(",".join(map(str, row)) + "\n" for row in x).encode())
np.savetxt(os.path.join(HERE, "y.csv"), y, fmt="%d")
np.savetxt(os.path.join(HERE, "y_true.csv"), y_true, fmt="%d")
print(f"{x.shape[0]} rows, {x.shape[1]} features, {(y >= 0).sum()} labeled")
