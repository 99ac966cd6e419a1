"""GpuSpread from Python: scikit-learn's LabelSpreading and LabelPropagation (and PoissonLearning), fitted by GpuSpread's .NET engine in
this process (ctypes and the .NET host; no files, no subprocess). See docs/python.md."""

from sklearn.exceptions import ConvergenceWarning

from ._estimators import LabelPropagation, LabelSpreading, PoissonLearning
from ._native import DotnetUnavailableError

__all__ = ["LabelSpreading", "LabelPropagation", "PoissonLearning", "ConvergenceWarning", "DotnetUnavailableError"]
__version__ = "0.1.0"
