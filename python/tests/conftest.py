import os

import numpy as np
import pytest

# scikit-learn's global_dtype fixture (sklearn/conftest.py, 1.2.1): float64 always, float32 only with
# SKLEARN_RUN_FLOAT32_TESTS=1, as in scikit-learn's own runs.
_SKIP32_MARK = pytest.mark.skipif(
    os.environ.get("SKLEARN_RUN_FLOAT32_TESTS", "0") != "1",
    reason="Set SKLEARN_RUN_FLOAT32_TESTS=1 to run float32 dtype tests",
)


@pytest.fixture(params=[pytest.param(np.float32, marks=_SKIP32_MARK), np.float64])
def global_dtype(request):
    yield request.param
