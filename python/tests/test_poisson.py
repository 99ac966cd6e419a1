"""gpuspread.PoissonLearning against a NumPy transcription of GraphLearning's poisson(solver='gradient_descent') loop
(graphlearning/ssl.py), the same oracle as the .NET tests' PoissonReference; and its class-mass correction."""

import os

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import kneighbors_graph

import gpuspread

SEEDS = [int(s) for s in os.environ.get("GPUSPREAD_TEST_SEEDS", "11,29").split(",")]


def graphlearning_poisson(W, labels, classes, max_iter=1000, min_iter=50):
    """GraphLearning's loop on dense W (symmetric part, diagonal zeroed): the scores u and the iterations T."""
    W = (W + W.T) / 2
    np.fill_diagonal(W, 0)
    n = W.shape[0]
    train = np.flatnonzero(labels >= 0)
    onehot = np.eye(classes)[labels[train]]
    source = np.zeros((n, classes))
    source[train] = onehot - onehot.mean(axis=0)
    degree = W.sum(axis=1)
    D = 1 / degree
    P = D[:, None] * W.T
    Db = D[:, None] * source
    v = np.zeros(n)
    v[train] = 1 / len(train)
    vinf = degree / degree.sum()
    RW = W.T * D[None, :]
    u = np.zeros((n, classes))
    T = 0
    while (T < min_iter or np.max(np.abs(v - vinf)) > 1 / n) and T < max_iter:
        u = Db + P @ u
        v = RW @ v
        T += 1
    return u, T


def positive_part(u):
    p = np.maximum(u, 0)
    sums = p.sum(axis=1, keepdims=True)
    return np.divide(p, sums, out=np.zeros_like(p), where=sums > 0)


def data(seed, n=151, classes=3):
    X, y = make_classification(n_samples=n, n_features=6, n_informative=4, n_redundant=1, n_classes=classes,
                               n_clusters_per_class=1, random_state=seed)
    rng = np.random.RandomState(seed)
    labels = np.full(n, -1)
    for c in range(classes):
        labels[rng.choice(np.flatnonzero(y == c), 2, replace=False)] = c
    return X, y, labels


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kernel", ["rbf", "knn"])
def test_matches_graphlearnings_loop(seed, kernel):
    X, _, labels = data(seed)
    model = gpuspread.PoissonLearning(kernel=kernel, gamma=0.5, n_neighbors=6, engine="cpu").fit(X, labels)
    if kernel == "rbf":
        W = rbf_kernel(X, X, gamma=0.5)
    else:
        W = kneighbors_graph(X, 6, include_self=True).toarray()
    u, iterations = graphlearning_poisson(W, labels, 3)
    assert model.n_iter_ == iterations
    np.testing.assert_allclose(model.label_distributions_, positive_part(u), atol=1e-9)
    np.testing.assert_array_equal(model.transduction_, np.argmax(u, axis=1))


def test_class_priors_weigh_each_class_by_its_prior_over_its_share_of_the_labels():
    X, _, labels = data(5)
    labels[np.flatnonzero(labels == -1)[:4]] = 0  # class 0 gets more labels than its prior says
    model = gpuspread.PoissonLearning(kernel="knn", n_neighbors=6, class_priors={0: 1.0, 1: 2.0, 2: 1.0},
                                      engine="cpu").fit(X, labels)
    u, _ = graphlearning_poisson(kneighbors_graph(X, 6, include_self=True).toarray(), labels, 3)
    share = np.bincount(labels[labels >= 0], minlength=3) / np.sum(labels >= 0)
    expected = positive_part(u * (np.array([1.0, 2.0, 1.0]) / 4 / share))
    np.testing.assert_allclose(model.label_distributions_, expected, atol=1e-9)
    assert np.abs(model.label_distributions_ - positive_part(u)).max() > 1e-3


def test_a_class_without_a_prior_is_refused():
    X, _, labels = data(7)
    with pytest.raises(ValueError, match="class_priors has no weight for class 2"):
        gpuspread.PoissonLearning(kernel="knn", class_priors={0: 1.0, 1: 1.0}, engine="cpu").fit(X, labels)
