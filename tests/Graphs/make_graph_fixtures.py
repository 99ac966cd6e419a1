#!/usr/bin/python3
"""Reference cases for graph input and the kNN graph options, from scikit-learn 1.2.1 (Debian's python3-sklearn).

scikit-learn has no graph input and no kNN options, but its estimators take a callable kernel: here the callable
returns the graph's W (graph input), or the kNN graph built with scikit-learn's own kneighbors_graph and symmetrised
with scipy (the options), so its loops, normalisation and stopping rule run unchanged on the W GpuSpread builds.
Run: /usr/bin/python3 tests/Graphs/make_graph_fixtures.py   (writes tests/Graphs/fixtures/*.json)
"""
import json
import os

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.neighbors import NearestNeighbors, kneighbors_graph
from sklearn.semi_supervised import LabelPropagation, LabelSpreading

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def fit(model, w_fit, y, params, kernel_new=None, x=None, x_new=None):
    def kernel(a, b):
        if a is b or (a.shape == b.shape and np.array_equal(a, b)):
            return w_fit
        return kernel_new(a, b)

    estimator = (LabelSpreading if model == "spreading" else LabelPropagation)(kernel=kernel, **params)
    dummy = x if x is not None else np.arange(len(y), dtype=float)[:, None]
    estimator.fit(dummy, y)
    result = {
        "label_distributions": estimator.label_distributions_.tolist(),
        "transduction": estimator.transduction_.tolist(),
        "n_iter": int(estimator.n_iter_),
        "classes": estimator.classes_.tolist(),
    }
    if x_new is not None:
        result["predict_proba"] = estimator.predict_proba(x_new).tolist()
    return result


def write(name, case):
    case["sklearn_version"] = sklearn.__version__
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(case, f)
    print(name, "n_iter", case["n_iter"])


def random_graph(rng, n, p, isolated, symmetric=True):
    w = np.where(rng.random((n, n)) < p, rng.uniform(0.2, 3.0, (n, n)), 0.0)
    np.fill_diagonal(w, 0)
    if symmetric:
        w = np.maximum(w, w.T)
    for i in isolated:
        w[i, :] = 0
        w[:, i] = 0
    return w


def edges(w):
    rows, cols = np.nonzero(w)
    return [[int(i), int(j), float(w[i, j])] for i, j in zip(rows, cols) if i < j or w[j, i] != w[i, j]]


def labels(rng, n, classes, fraction, skip=()):
    y = np.full(n, -1)
    picked = [i for i in rng.permutation(n) if i not in skip]
    for c in range(classes):
        y[picked[c]] = c * 2 + 1  # labels that are not 0..c-1
    for i in picked[classes:]:
        if rng.random() < fraction:
            y[i] = rng.integers(classes) * 2 + 1
    return y


def graph_cases():
    rng = np.random.default_rng(11)
    n = 31
    w = random_graph(rng, n, 0.12, isolated=[4, 17])
    y = labels(rng, n, 3, 0.15, skip=(4, 17))
    y[17] = 3  # a labeled isolated node keeps its label; node 4, unlabeled and isolated, stays all zero
    params = {"alpha": 0.6, "max_iter": 500, "tol": 1e-7}
    write("graph_spreading", {"model": "spreading", "n": n, "edges": edges(w), "symmetrise": True, "y": y.tolist(), "params": params,
                              **fit("spreading", w, y, params)})
    params = {"alpha": 0.3, "max_iter": 3, "tol": 1e-3}
    write("graph_spreading_max_iter", {"model": "spreading", "n": n, "edges": edges(w), "symmetrise": True, "y": y.tolist(), "params": params,
                                       **fit("spreading", w, y, params)})

    # Propagation: scikit-learn divides by zero on an isolated node, so this graph has none.
    w = random_graph(rng, n, 0.15, isolated=[])
    assert (w.sum(axis=0) > 0).all()
    y = labels(rng, n, 3, 0.1)
    params = {"max_iter": 1000, "tol": 1e-8}
    write("graph_propagation", {"model": "propagation", "n": n, "edges": edges(w), "symmetrise": True, "y": y.tolist(), "params": params,
                                **fit("propagation", w, y, params)})

    # A directed graph kept directed: spreading normalises by the column sums (in-degrees), as for the knn kernel.
    w = random_graph(rng, n, 0.12, isolated=[], symmetric=False)
    y = labels(rng, n, 3, 0.15)
    params = {"alpha": 0.5, "max_iter": 500, "tol": 1e-7}
    rows, cols = np.nonzero(w)
    directed = [[int(i), int(j), float(w[i, j])] for i, j in zip(rows, cols)]
    write("graph_spreading_directed", {"model": "spreading", "n": n, "edges": directed, "symmetrise": False, "y": y.tolist(),
                                       "params": params, **fit("spreading", w, y, params)})


def knn_w(x, k, graph, self_loops, weights, gamma):
    include = self_loops == "include"
    g = kneighbors_graph(x, k, mode="distance", include_self=include).tocoo()
    data = np.exp(-gamma * g.data ** 2) if weights == "rbf" else np.ones_like(g.data)
    w = sp.csr_matrix((data, (g.row, g.col)), shape=g.shape)
    if include:
        w = w.tolil()
        w.setdiag([1.0 if (w[i, i] != 0 or i in set(g.row[g.col == g.row])) else 0.0 for i in range(x.shape[0])])
        w = w.tocsr()
    if graph == "union":
        w = w.maximum(w.T)
    elif graph == "mutual":
        w = w.minimum(w.T)
        if include:
            w = w.tolil()
            w.setdiag(1.0)
            w = w.tocsr()
    return w.toarray()


def knn_cases():
    rng = np.random.default_rng(5)
    n, k, gamma = 40, 5, 2.0
    centres = rng.uniform(-1, 1, (3, 2))
    truth = rng.integers(3, size=n)
    x = centres[truth] + 0.35 * rng.standard_normal((n, 2))
    x_new = rng.uniform(-1.2, 1.2, (6, 2))
    y = np.full(n, -1)
    for c in range(3):
        y[np.nonzero(truth == c)[0][:2]] = c
    nn = NearestNeighbors(n_neighbors=k).fit(x)
    for model in ("spreading", "propagation"):
        for graph, self_loops, weights in (("union", "drop", "rbf"), ("mutual", "include", "connectivity"),
                                           ("union", "include", "connectivity"), ("directed", "drop", "rbf"),
                                           ("mutual", "drop", "rbf")):
            w = knn_w(x, k, graph, self_loops, weights, gamma)

            def kernel_new(a, b):
                # predict_proba: kernel(X_train, X_new), n_train x m, the k nearest training rows of each new row.
                distance, index = nn.kneighbors(b, k)
                result = np.zeros((a.shape[0], b.shape[0]))
                for q in range(b.shape[0]):
                    result[index[q], q] = np.exp(-gamma * distance[q] ** 2) if weights == "rbf" else 1.0
                return result

            params = {"alpha": 0.5, "max_iter": 300, "tol": 1e-7} if model == "spreading" else {"max_iter": 2000, "tol": 1e-8}
            if model == "propagation" and (w.sum(axis=0) == 0).any():
                continue  # scikit-learn divides by zero on an isolated node
            name = f"knn_{model}_{graph}_{self_loops}_{weights}"
            write(name, {"model": model, "n": n, "X": x.tolist(), "X_new": x_new.tolist(), "y": y.tolist(), "params": params,
                         "n_neighbors": k, "gamma": gamma, "knn_graph": graph, "knn_self_loops": self_loops, "knn_weights": weights,
                         "W": w.tolist(), **fit(model, w, y, params, kernel_new, x, x_new)})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    graph_cases()
    knn_cases()
