"""gpuspread against scikit-learn 1.2.1 itself (the oracle), its options beyond scikit-learn's, its errors, and the life
of the .NET side (release, pickling, Ctrl-C, a missing runtime)."""

import _thread
import gc
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from sklearn import semi_supervised
from sklearn.datasets import make_classification
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import kneighbors_graph
from sklearn.utils._param_validation import InvalidParameterError

import gpuspread
from gpuspread import _native

SEEDS = [int(s) for s in os.environ.get("GPUSPREAD_TEST_SEEDS", "11,29").split(",")]
PAIRS = [(gpuspread.LabelSpreading, semi_supervised.LabelSpreading),
         (gpuspread.LabelPropagation, semi_supervised.LabelPropagation)]


def data(seed, n=157, features=7, classes=3, unlabeled=0.7, dtype=np.float64):
    """Overlapping classes (make_classification), an awkward size, most rows unlabeled; and 23 new rows."""
    X, y = make_classification(n_samples=n + 23, n_features=features, n_informative=features - 2, n_redundant=1,
                               n_classes=classes, n_clusters_per_class=1, random_state=seed)
    X = X.astype(dtype)
    rng = np.random.RandomState(seed)
    y_train = y[:n].copy()
    y_train[rng.rand(n) < unlabeled] = -1
    return X[:n], y_train, X[n:]


def assert_same_fit(ours, theirs, X_new, atol, seed, same_n_iter=True):
    where = f"(seed {seed}, {ours!r})"
    np.testing.assert_array_equal(ours.classes_, theirs.classes_, err_msg=where)
    np.testing.assert_allclose(ours.label_distributions_, theirs.label_distributions_, rtol=0, atol=atol, err_msg=where)
    np.testing.assert_array_equal(ours.transduction_, theirs.transduction_, err_msg=where)
    if same_n_iter:
        assert ours.n_iter_ == theirs.n_iter_, where
    np.testing.assert_allclose(ours.predict_proba(X_new), theirs.predict_proba(X_new), rtol=0, atol=atol, err_msg=where)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-9), (np.float32, 1e-5)])
@pytest.mark.parametrize("kernel", [{"kernel": "rbf", "gamma": 0.3}, {"kernel": "knn", "n_neighbors": 6}])
@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_matches_scikit_learn(ours, theirs, kernel, dtype, atol, seed):
    X, y, X_new = data(seed, dtype=dtype)
    assert_same_fit(ours(**kernel).fit(X, y), theirs(**kernel).fit(X, y), X_new, atol, seed)


def rbf_without_diagonal(A, B):
    K = rbf_kernel(A, B, gamma=0.3)
    if A is B:
        np.fill_diagonal(K, 0)
    return K


def sparse_knn_rbf(A, B):
    """scikit-learn's test's top-k rbf kernel (sparse, not symmetric), without the point itself (no diagonal)."""
    W = kneighbors_graph(A, 8, mode="distance", include_self=False) if A is B else None
    if W is None:
        from sklearn.neighbors import NearestNeighbors
        W = NearestNeighbors(n_neighbors=8).fit(A).kneighbors_graph(B, mode="distance")
    W = W.power(2) * -0.3
    np.exp(W.data, out=W.data)
    return W.T


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kernel", [rbf_without_diagonal, sparse_knn_rbf])
@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_callable_kernels_match_scikit_learn(ours, theirs, kernel, seed):
    X, y, X_new = data(seed)
    assert_same_fit(ours(kernel=kernel).fit(X, y), theirs(kernel=kernel).fit(X, y), X_new, 1e-9, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_callable_kernel_diagonal_leaves_propagation_fixed_point_unchanged(seed):
    # The graph given to the engine has no diagonal; scikit-learn's LabelPropagation keeps kernel(X, X)'s diagonal,
    # which changes its iterates (and n_iter_) but not their fixed point, Zhu's harmonic solution (docs/python.md).
    X, y, _ = data(seed)
    W = rbf_kernel(X, X, gamma=0.3)
    ours = gpuspread.LabelPropagation(kernel=lambda A, B: rbf_kernel(A, B, gamma=0.3), tol=1e-13, max_iter=100000)
    ours.fit(X, y)
    unlabeled, labeled = np.flatnonzero(y == -1), np.flatnonzero(y != -1)
    Y = np.zeros((len(y), len(ours.classes_)))
    Y[labeled, np.searchsorted(ours.classes_, y[labeled])] = 1
    np.fill_diagonal(W, 0)
    D = W.sum(axis=1)
    harmonic = Y.copy()
    harmonic[unlabeled] = np.linalg.solve(np.diag(D[unlabeled]) - W[np.ix_(unlabeled, unlabeled)],
                                          W[np.ix_(unlabeled, labeled)] @ Y[labeled])
    np.testing.assert_allclose(ours.label_distributions_, harmonic, rtol=0, atol=1e-9, err_msg=f"seed {seed}")


def knn_graph_kernel(k, form, include_self=True, gamma=None):
    """scikit-learn's kneighbors_graph in the form GpuSpread's knn options build, as a callable kernel (fit only)."""
    def kernel(A, B):
        G = kneighbors_graph(A, k, mode="distance" if gamma else "connectivity", include_self=include_self)
        if include_self:
            G = G + sparse.eye(A.shape[0])  # the point itself, at distance 0, is stored as an explicit zero
            G.data[G.data == 1] = 0 if gamma else 1
        if gamma:
            G.data = np.exp(-gamma * G.data ** 2)
        return G.maximum(G.T) if form == "union" else G.minimum(G.T) if form == "mutual" else G
    return kernel


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("options, kernel", [
    ({"knn_graph": "union"}, knn_graph_kernel(6, "union")),
    ({"knn_graph": "mutual"}, knn_graph_kernel(6, "mutual")),
    ({"knn_self_loops": "drop"}, knn_graph_kernel(6, "directed", include_self=False)),
    ({"knn_weights": "rbf", "gamma": 0.3, "knn_self_loops": "drop"}, knn_graph_kernel(6, "directed", False, 0.3)),
])
def test_knn_graph_options_build_the_graph_they_name(options, kernel, seed):
    X, y, _ = data(seed)
    ours = gpuspread.LabelSpreading(kernel="knn", n_neighbors=6, **options).fit(X, y)
    theirs = semi_supervised.LabelSpreading(kernel=kernel).fit(X, y)
    np.testing.assert_allclose(ours.label_distributions_, theirs.label_distributions_, rtol=0, atol=1e-9,
                               err_msg=f"seed {seed}")
    assert ours.n_iter_ == theirs.n_iter_


@pytest.mark.parametrize("seed", SEEDS)
def test_conjugate_gradients_reach_the_closed_form(seed):
    X, y, _ = data(seed)
    model = gpuspread.LabelSpreading(gamma=0.3, alpha=0.9, solver="cg", tol=1e-12, max_iter=1000).fit(X, y)
    S = model._build_graph()
    Y = np.zeros((len(y), len(model.classes_)))
    Y[y != -1, np.searchsorted(model.classes_, y[y != -1])] = 1
    expected = np.linalg.solve(np.eye(len(y)) - 0.9 * S, Y)
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.label_distributions_, expected, rtol=0, atol=1e-9, err_msg=f"seed {seed}")


def test_precision_follows_the_data_unless_given():
    X, y, X_new = data(SEEDS[0], dtype=np.float32)
    reference = semi_supervised.LabelSpreading(gamma=0.3).fit(X.astype(np.float64), y)
    as_float64 = gpuspread.LabelSpreading(gamma=0.3, precision="float64").fit(X, y)
    assert_same_fit(as_float64, reference, X_new.astype(np.float64), 1e-9, SEEDS[0])
    as_float32 = gpuspread.LabelSpreading(gamma=0.3).fit(X, y)
    difference = np.abs(as_float32.label_distributions_ - reference.label_distributions_).max()
    assert 0 < difference < 1e-5


def test_underflow_cut_can_be_turned_off():
    X = np.array([[0.0], [1.0], [30.0]])
    y = [0, 1, -1]
    assert gpuspread.LabelSpreading().fit(X, y).transduction_[2] == 0  # no affinity left: an all-zero row
    assert semi_supervised.LabelSpreading().fit(X, y).transduction_[2] == 0
    assert gpuspread.LabelSpreading(float64_underflow_cut=False).fit(X, y).transduction_[2] == 1


def test_gpu_simulator_gives_the_cpu_engine_results():
    X, y, X_new = data(SEEDS[0], n=61)
    for kernel in ("rbf", "knn"):
        cpu = gpuspread.LabelPropagation(kernel=kernel, gamma=0.3, engine="cpu").fit(X, y)
        simulated = gpuspread.LabelPropagation(kernel=kernel, gamma=0.3, engine="gpu-sim").fit(X, y)
        assert simulated.engine_.startswith("gpu-sim") and cpu.engine_.startswith("cpu")
        assert_same_fit(simulated, cpu, X_new, 1e-9, SEEDS[0])


def test_engine_gpu_without_a_gpu_is_an_error_not_a_fallback():
    X, y, _ = data(SEEDS[0], n=40)
    try:
        model = gpuspread.LabelSpreading(engine="gpu").fit(X, y)
    except RuntimeError as error:
        assert "no usable GPU" in str(error) and "engine='cpu'" in str(error)
    else:
        assert model.engine_.startswith("gpu ")


def test_what_an_engine_cannot_run_is_refused_naming_it():
    X, y, _ = data(SEEDS[0], n=40)
    with pytest.raises(ValueError, match="gpu-sim engine cannot run the approximate kNN search"):
        gpuspread.LabelSpreading(kernel="knn", knn_search="approximate", engine="gpu-sim").fit(X, y)


@pytest.mark.parametrize("parameters, error, message", [
    ({"memory_limit": 1000}, InvalidParameterError, "'memory_limit' parameter"),
    ({"engine": "tpu"}, InvalidParameterError, "'engine' parameter"),
    ({"knn_graph": "both"}, InvalidParameterError, "'knn_graph' parameter"),
    ({"kernel": "linear"}, InvalidParameterError, "'kernel' parameter"),
    ({"kernel": "knn", "n_neighbors": 40}, ValueError, "'n_neighbors' parameter must be smaller than the number of samples"),
    ({"gamma": 0}, ValueError, "'gamma' parameter must be a float in the range \\(0, inf\\)"),
    ({"solver": "cg", "kernel": "knn"}, ValueError, "'solver' parameter"),
    ({"kernel": lambda A, B: np.ones((3, 3))}, ValueError, "kernel\\(X, X\\) must be \\(40, 40\\)"),
    ({"kernel": lambda A, B: -rbf_kernel(A, B)}, ValueError, "weights must be finite and non-negative"),
])
def test_bad_parameters_are_refused_naming_them(parameters, error, message):
    X, y, _ = data(SEEDS[0], n=40)
    with pytest.raises(error, match=message):
        gpuspread.LabelSpreading(**parameters).fit(X, y)


def test_no_label_is_a_value_error():
    X, _, _ = data(SEEDS[0], n=40)
    with pytest.raises(ValueError, match="no row is labeled"):
        gpuspread.LabelSpreading().fit(X, -np.ones(40, dtype=int))


@pytest.mark.parametrize("dtype", [object, str])
def test_string_labels(dtype):
    # scikit-learn takes any class labels, though only numbers can say -1 (unlabeled); with a numpy array of str it
    # fails (1.2.1 compares the classes with -1), so it is the oracle for object arrays only.
    X, y, X_new = data(SEEDS[0], unlabeled=0)
    labels = np.array(["cat", "dog", "eel"])[y].astype(dtype)
    reference = semi_supervised.LabelSpreading(gamma=0.3).fit(X, labels.astype(object))
    assert_same_fit(gpuspread.LabelSpreading(gamma=0.3).fit(X, labels), reference, X_new, 1e-9, SEEDS[0])


def test_deleting_or_refitting_an_estimator_frees_its_model():
    X, y, _ = data(SEEDS[0], n=40)
    gc.collect()
    live = _native.library().LiveModels()
    model = gpuspread.LabelSpreading().fit(X, y)
    assert _native.library().LiveModels() == live + 1
    model.fit(X, y)
    gc.collect()
    assert _native.library().LiveModels() == live + 1
    del model
    gc.collect()
    assert _native.library().LiveModels() == live


def test_pickled_estimator_predicts_the_same():
    X, y, X_new = data(SEEDS[0])
    for kernel in ("rbf", "knn"):
        model = gpuspread.LabelSpreading(kernel=kernel, gamma=0.3).fit(X, y)
        copy = pickle.loads(pickle.dumps(model))
        assert getattr(copy, "_model", None) is None
        np.testing.assert_array_equal(copy.predict_proba(X_new), model.predict_proba(X_new))
        np.testing.assert_array_equal(copy.label_distributions_, model.label_distributions_)


def test_ctrl_c_stops_a_fit():
    rng = np.random.RandomState(SEEDS[0])
    X = rng.rand(40000, 32)
    y = np.full(len(X), -1)
    y[:100] = rng.randint(0, 3, 100)
    live = _native.library().LiveModels()
    # The smallest memory limit: the engine would otherwise cache these 40,000^2 weights in up to half of the memory.
    # Uninterrupted, the fit ends (30 iterations), so that a failure fails rather than hangs.
    model = gpuspread.LabelSpreading(gamma=1e-4, precision="float64", max_iter=30, tol=0, memory_limit=64 << 20)
    # Python raises KeyboardInterrupt only where SIGINT has its handler; a parent that ignores SIGINT (a test runner
    # may) passes that on, and interrupt_main would then do nothing.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    try:
        started = time.perf_counter()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, y)
        stopped = time.perf_counter() - started
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert stopped < 5, f"the fit stopped {stopped:.1f} s after it started, 0.5 s after Ctrl-C was sent"
    assert not hasattr(model, "label_distributions_")
    gc.collect()
    assert _native.library().LiveModels() == live


def test_missing_runtime_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("DOTNET_ROOT", str(tmp_path / "none"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(_native, "_USUAL_ROOTS", [])
    with pytest.raises(gpuspread.DotnetUnavailableError, match="the .NET 10 runtime was not found: no dotnet on PATH"):
        _native.find_runtime()


def test_wrong_runtime_version_is_named(tmp_path, monkeypatch):
    (tmp_path / "shared" / "Microsoft.NETCore.App" / "8.0.11").mkdir(parents=True)
    (tmp_path / "host" / "fxr" / "8.0.11").mkdir(parents=True)
    (tmp_path / "host" / "fxr" / "8.0.11" / "libhostfxr.so").touch()
    monkeypatch.setenv("DOTNET_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(_native, "_USUAL_ROOTS", [])
    with pytest.raises(gpuspread.DotnetUnavailableError, match=r"Microsoft.NETCore.App 10.x\) was not found; "
                                                               r"installed runtimes: .*: 8.0.11"):
        _native.find_runtime()


def test_missing_assemblies_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv("GPUSPREAD_DOTNET_DIR", str(tmp_path))
    monkeypatch.setattr(_native, "_PACKAGE", tmp_path / "package")
    monkeypatch.setattr(_native, "_CHECKOUT_BUILD", tmp_path / "build")
    with pytest.raises(gpuspread.DotnetUnavailableError,
                       match=re.escape("(GpuSpread.Interop.dll and its runtimeconfig.json) were not found in")):
        _native.assembly_dir()


def test_fit_without_a_runtime_raises_what_is_missing(tmp_path):
    # A fresh process, since this one has started the runtime already.
    program = ("import numpy as np, gpuspread, gpuspread._native as n; n._USUAL_ROOTS[:] = []\n"
               "try:\n    gpuspread.LabelSpreading().fit(np.eye(3), [0, 1, -1])\n"
               "except gpuspread.DotnetUnavailableError as e:\n    print('refused:', e)\n")
    environment = dict(os.environ, DOTNET_ROOT=str(tmp_path / "none"), PATH=str(tmp_path),
                       PYTHONPATH=str(Path(gpuspread.__file__).parent.parent))
    result = subprocess.run([sys.executable, "-c", program], env=environment, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.startswith("refused: the .NET 10 runtime was not found"), result.stdout + result.stderr
