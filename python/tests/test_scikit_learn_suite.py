"""scikit-learn 1.2.1's own tests of LabelSpreading and LabelPropagation
(sklearn/semi_supervised/tests/test_label_propagation.py, shipped by Debian's python3-sklearn), run against gpuspread.

The file is read from the installed scikit-learn at collection time and executed here with one line changed, its
import of scikit-learn's module; nothing else of it is copied or edited. Failures point at its own lines."""

from pathlib import Path

import sklearn

SOURCE = Path(sklearn.__file__).parent / "semi_supervised" / "tests" / "test_label_propagation.py"
ORIGINAL_IMPORT = "from sklearn.semi_supervised import _label_propagation as label_propagation\n"
GPUSPREAD_IMPORT = "import gpuspread as label_propagation\n"

if not SOURCE.is_file():
    raise FileNotFoundError(f"{SOURCE} is missing: install scikit-learn's tests (Debian: python3-sklearn)")
_text = SOURCE.read_text()
if sklearn.__version__ != "1.2.1" or _text.count(ORIGINAL_IMPORT) != 1:
    raise RuntimeError(f"expected scikit-learn 1.2.1's test file with one line '{ORIGINAL_IMPORT.strip()}'; "
                       f"found scikit-learn {sklearn.__version__} and {_text.count(ORIGINAL_IMPORT)} such lines")
exec(compile(_text.replace(ORIGINAL_IMPORT, GPUSPREAD_IMPORT), str(SOURCE), "exec"))
