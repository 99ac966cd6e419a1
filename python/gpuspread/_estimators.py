"""LabelSpreading and LabelPropagation: scikit-learn 1.2.1's estimators, fitted by GpuSpread's .NET engine in process;
PoissonLearning, the same interface for Poisson learning."""

import logging
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn import semi_supervised
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _native

_log = logging.getLogger("gpuspread")

# The parameters beyond scikit-learn's, passed to the engine as they are (src/Interop/FitRequest.cs reads them; the
# values are src/GpuSpread/OptionNames.cs' spellings). A new engine option is one entry here and one in __init__.
_GPUSPREAD_PARAMETERS = {
    "engine": [StrOptions({"auto", "cpu", "gpu", "gpu-sim"})],
    "knn_search": [StrOptions({"auto", "exact", "approximate"})],
    "solver": [StrOptions({"fixed-point", "cg"})],
    "precision": [StrOptions({"auto", "float32", "float64"})],
    "memory_limit": [None, Interval(Integral, 64 << 20, None, closed="left")],
    "knn_graph": [StrOptions({"directed", "union", "mutual"})],
    "knn_self_loops": [StrOptions({"include", "drop"})],
    "knn_weights": [StrOptions({"connectivity", "rbf"})],
    "float64_underflow_cut": ["boolean"],
}


class _LabelDiffusion(ClassifierMixin, BaseEstimator):
    """What LabelSpreading and LabelPropagation share: scikit-learn's BaseLabelPropagation, fitted by the engine."""

    _parameter_constraints = {
        **semi_supervised.LabelSpreading._parameter_constraints,
        **_GPUSPREAD_PARAMETERS,
    }

    def _engine_options(self, X):
        options = {"model": self._variant, "engine": self.engine}
        if self.kernel in ("rbf", "knn"):
            options.update(kernel=self.kernel, gamma=float(self.gamma), n_neighbors=int(self.n_neighbors))
        if self._variant == "spreading":
            options["alpha"] = float(self.alpha)
        options.update(max_iter=int(self.max_iter), tol=float(self.tol))
        for name in _GPUSPREAD_PARAMETERS:
            if name != "engine":
                options[name] = getattr(self, name)
        if options["precision"] == "auto":
            options["precision"] = "float32" if X.dtype == np.float32 else "float64"
        if options["memory_limit"] is not None:
            options["memory_limit"] = int(options["memory_limit"])
        if self._variant == "poisson":
            options["class_priors"] = self._class_priors_by_index()
        return options

    def _kernel_graph(self, X):
        """A callable kernel's n x n affinity matrix kernel(X, X) as a directed edge list (scikit-learn multiplies by it
        as it is); its diagonal is dropped (see docs/python.md)."""
        affinity = self.kernel(X, X)
        n = X.shape[0]
        if affinity.shape != (n, n):
            raise ValueError(f"the kernel returned a matrix of shape {affinity.shape}; kernel(X, X) must be ({n}, {n})")
        if sparse.issparse(affinity):
            coo = affinity.tocoo()
            sources, targets, weights = coo.row, coo.col, coo.data
        else:
            affinity = np.asarray(affinity)
            sources, targets = np.nonzero(affinity)
            weights = affinity[sources, targets]
        return n, sources, targets, np.asarray(weights, dtype=np.float64)

    def fit(self, X, y):
        """Fits the model to X (n_samples, n_features) and labels y, -1 marking the unlabeled rows; returns self."""
        self._validate_params()
        X, y = self._validate_data(X, y)
        self.X_ = X
        check_classification_targets(y)
        y = np.asarray(y)
        # Only numbers can be -1: string labels are compared with nothing (numpy would warn that it cannot).
        unlabeled = y == -1 if y.dtype.kind not in "USV" else np.zeros(y.shape, dtype=bool)
        classes = np.unique(y[~unlabeled])
        self.classes_ = classes
        labels = np.where(unlabeled, -1, np.searchsorted(classes, y)).astype(np.int64)
        options = self._engine_options(X)
        if callable(self.kernel):
            model = _native.FittedModel(options, graph=self._kernel_graph(X), labels=labels)
        else:
            model = _native.FittedModel(options, X=X, labels=labels)
        self._fit_request = (options, labels)
        self._model = model
        info = model.info
        _log.info("gpuspread: %s", info["engine_choice"])
        if info["precision_escalation"]:
            warnings.warn(info["precision_escalation"], UserWarning)
        self.engine_ = f"{info['engine']} ({info['device']})"
        self.label_distributions_ = model.distributions()
        self.n_iter_ = info["n_iter"]
        if not info["converged"]:
            warnings.warn("max_iter=%d was reached without convergence." % self.max_iter, category=ConvergenceWarning)
        self.transduction_ = self.classes_[np.argmax(self.label_distributions_, axis=1)].ravel()
        return self

    def _fitted_model(self):
        """The engine's fit; rebuilt from the training data once after unpickling, which cannot carry it."""
        model = getattr(self, "_model", None)
        if model is None:
            options, labels = self._fit_request
            model = _native.FittedModel(options, X=self.X_, labels=labels)
            self._model = model
        return model

    def predict(self, X):
        """The most probable class of each row of X (scikit-learn's inductive rule)."""
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)].ravel()

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes) of the rows of X."""
        check_is_fitted(self)
        X_2d = self._validate_data(X, accept_sparse=["csc", "csr", "coo", "dok", "bsr", "lil", "dia"], reset=False)
        if callable(self.kernel):
            # scikit-learn's own arithmetic: the callable's weights between the training rows and X.
            weight_matrices = self.kernel(self.X_, X_2d).T
            probabilities = safe_sparse_dot(weight_matrices, self.label_distributions_)
            normalizer = np.atleast_2d(np.sum(probabilities, axis=1)).T
            probabilities /= normalizer
            return probabilities
        if sparse.issparse(X_2d):
            X_2d = X_2d.toarray()
        return self._fitted_model().predict_proba(X_2d)

    def _build_graph(self):
        """scikit-learn's dense n x n graph matrix of the training rows (S for spreading, T for propagation), computed
        by scikit-learn itself: its tests' closed forms read it. fit never builds it."""
        check_is_fitted(self)
        names = semi_supervised.LabelSpreading._parameter_constraints
        reference = self._scikit_learn_class(**{n: getattr(self, n) for n in names if n in self.get_params()})
        reference.X_ = self.X_
        return reference._build_graph()

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_model", None)
        return state


class LabelPropagation(_LabelDiffusion):
    """scikit-learn's LabelPropagation (same parameters, defaults, attributes and results), fitted by GpuSpread's engine.

    Beyond scikit-learn's parameters: ``engine`` ('auto', 'cpu', 'gpu', 'gpu-sim'), ``knn_search`` ('auto', 'exact',
    'approximate'), ``solver`` ('fixed-point', 'cg'), ``precision`` ('auto': float32 for float32 X, else float64),
    ``memory_limit`` (bytes, None: a share of the free memory), ``knn_graph`` ('directed', 'union', 'mutual'),
    ``knn_self_loops`` ('include', 'drop'), ``knn_weights`` ('connectivity', 'rbf') and ``float64_underflow_cut``.
    ``n_jobs`` is accepted and ignored: the engine uses every core. See docs/python.md.
    """

    _variant = "propagation"
    _scikit_learn_class = semi_supervised.LabelPropagation
    _parameter_constraints = {k: v for k, v in _LabelDiffusion._parameter_constraints.items() if k != "alpha"}

    def __init__(self, kernel="rbf", *, gamma=20, n_neighbors=7, max_iter=1000, tol=1e-3, n_jobs=None,
                 engine="auto", knn_search="auto", solver="fixed-point", precision="auto", memory_limit=None,
                 knn_graph="directed", knn_self_loops="include", knn_weights="connectivity",
                 float64_underflow_cut=True):
        self.kernel = kernel
        self.gamma = gamma
        self.n_neighbors = n_neighbors
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs
        self.engine = engine
        self.knn_search = knn_search
        self.solver = solver
        self.precision = precision
        self.memory_limit = memory_limit
        self.knn_graph = knn_graph
        self.knn_self_loops = knn_self_loops
        self.knn_weights = knn_weights
        self.float64_underflow_cut = float64_underflow_cut


class LabelSpreading(_LabelDiffusion):
    """scikit-learn's LabelSpreading (same parameters, defaults, attributes and results), fitted by GpuSpread's engine.

    The parameters beyond scikit-learn's are LabelPropagation's (see there and docs/python.md).
    """

    _variant = "spreading"
    _scikit_learn_class = semi_supervised.LabelSpreading

    def __init__(self, kernel="rbf", *, gamma=20, n_neighbors=7, alpha=0.2, max_iter=30, tol=1e-3, n_jobs=None,
                 engine="auto", knn_search="auto", solver="fixed-point", precision="auto", memory_limit=None,
                 knn_graph="directed", knn_self_loops="include", knn_weights="connectivity",
                 float64_underflow_cut=True):
        self.kernel = kernel
        self.gamma = gamma
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs
        self.engine = engine
        self.knn_search = knn_search
        self.solver = solver
        self.precision = precision
        self.memory_limit = memory_limit
        self.knn_graph = knn_graph
        self.knn_self_loops = knn_self_loops
        self.knn_weights = knn_weights
        self.float64_underflow_cut = float64_underflow_cut


class PoissonLearning(_LabelDiffusion):
    """Poisson learning (Calder, Cook, Thorpe and Slepcev, ICML 2020) with the estimators' interface: for very few
    labels, where spreading's results collapse. GraphLearning's iteration and stopping rule on the symmetric part of the
    graph (docs/semantics.md, "Poisson learning"); ``label_distributions_`` holds each row's positive scores over their
    sum, ``n_iter_`` the iterations run (at least 50, at most ``max_iter``).

    ``class_priors``: None, 'uniform', or a dict of class to weight: the paper's class-mass correction. The other
    parameters are LabelPropagation's (there is no ``tol``: the stopping rule is the random walk's).
    """

    _variant = "poisson"
    _scikit_learn_class = None
    _parameter_constraints = {
        **{k: v for k, v in _LabelDiffusion._parameter_constraints.items() if k not in ("alpha", "tol")},
        "class_priors": [None, StrOptions({"uniform"}), dict],
    }
    def _class_priors_by_index(self):
        """class_priors for the engine: None, 'uniform', or the weights keyed by class index (classes_'s order)."""
        priors = self.class_priors
        if not isinstance(priors, dict):
            return priors
        missing = [c for c in self.classes_ if c not in priors]
        if missing:
            raise ValueError(f"class_priors has no weight for class {missing[0]!r}; it needs one for every class of y")
        return {str(index): float(priors[c]) for index, c in enumerate(self.classes_)}

    def _more_tags(self):
        return {"_xfail_checks": {"check_classifiers_classes":
                                  "it fits labels [-1, 1], and -1 marks an unlabeled row; scikit-learn exempts its own "
                                  "semi-supervised estimators from this by their names, which this one does not have"}}

    # Not parameters: the loop is Poisson learning's own (no conjugate gradients), and tol goes unread.
    solver = "fixed-point"
    tol = 1e-3

    def __init__(self, kernel="rbf", *, gamma=20, n_neighbors=7, max_iter=1000, class_priors=None, n_jobs=None,
                 engine="auto", knn_search="auto", precision="auto", memory_limit=None,
                 knn_graph="directed", knn_self_loops="include", knn_weights="connectivity",
                 float64_underflow_cut=True):
        self.kernel = kernel
        self.gamma = gamma
        self.n_neighbors = n_neighbors
        self.max_iter = max_iter
        self.class_priors = class_priors
        self.n_jobs = n_jobs
        self.engine = engine
        self.knn_search = knn_search
        self.precision = precision
        self.memory_limit = memory_limit
        self.knn_graph = knn_graph
        self.knn_self_loops = knn_self_loops
        self.knn_weights = knn_weights
        self.float64_underflow_cut = float64_underflow_cut
