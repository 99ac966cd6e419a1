#!/usr/bin/python3
"""scikit-learn 1.2.1's multinomial LogisticRegression on a small seeded problem, the reference for SoftmaxRegression.

Solved with newton-cg to tol 1e-13: lbfgs stops on scipy's ftol with gradients near 1e-6.
GpuSpread minimises (1/m) sum loss + (lambda/2) ||W||^2; scikit-learn minimises C sum loss + (1/2) ||W||^2 (intercepts
unpenalised), the same problem for C = 1 / (lambda m).
Run: /usr/bin/python3 tests/Citation/make_softmax_fixture.py   (writes tests/Citation/fixtures/softmax_regression.json)
"""
import json
import os

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(7)
m, d, c = 45, 6, 4
x = rng.standard_normal((m, d))
x[:, 2] = 0  # an all-zero feature
x[rng.random((m, d)) < 0.3] = 0  # sparse-ish rows, as bag-of-words are
y = rng.integers(c, size=m)
y[:c] = np.arange(c)
x_new = rng.standard_normal((7, d))
cases = []
for lam in (0.05, 0.003):
    model = LogisticRegression(multi_class="multinomial", solver="newton-cg", C=1 / (lam * m), tol=1e-13, max_iter=100000).fit(x, y)
    cases.append({"lambda": lam, "coef": model.coef_.tolist(), "intercept": model.intercept_.tolist(),
                  "predict_proba": model.predict_proba(x_new).tolist()})
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "softmax_regression.json")
with open(out, "w") as f:
    json.dump({"sklearn_version": sklearn.__version__, "X": x.tolist(), "y": y.tolist(), "classes": c, "X_new": x_new.tolist(), "cases": cases}, f)
print("wrote", out)
