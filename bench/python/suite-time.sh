#!/usr/bin/env bash
# scikit-learn 1.2.1's test_label_propagation.py: its own run against gpuspread's (python/tests/test_scikit_learn_suite.py),
# alternating, RUNS times each, float32 tests included. scikit-learn runs without OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE (at its best); gpuspread runs in the same environment. Prints pytest's time and the wall time.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-5}
sklearn_tests=$(/usr/bin/python3 -c 'import sklearn, os; print(os.path.join(os.path.dirname(sklearn.__file__), "semi_supervised/tests/test_label_propagation.py"))')
export GPUSPREAD_DOTNET_DIR=${GPUSPREAD_DOTNET_DIR:-$PWD/src/Interop/bin/Release/net10.0}
for ((run = 1; run <= runs; run++)); do
    for who in scikit-learn gpuspread; do
        if [[ $who == scikit-learn ]]; then target=$sklearn_tests; else target=python/tests/test_scikit_learn_suite.py; fi
        start=$(date +%s.%N)
        summary=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE SKLEARN_RUN_FLOAT32_TESTS=1 PYTHONPATH=python \
            /usr/bin/python3 -m pytest -q -p no:cacheprovider "$target" 2>&1 | tail -n 1)
        end=$(date +%s.%N)
        printf '%-12s run %d: %s; wall %.2f s\n' "$who" "$run" "$summary" "$(echo "$end - $start" | bc)"
    done
done
