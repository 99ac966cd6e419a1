#!/usr/bin/env bash
# Issue 12's measurements in one batch, one after the other (run nothing else meanwhile): the machine's ceiling,
# scikit-learn and gpuspread side by side on Fashion-MNIST (rbf at 10,000 rows, knn at 70,000), the overlapping set
# and the easy synthetic one, then twice in turn NumPy's float32 X @ X.T of all 70,000 Fashion-MNIST rows and
# gpuspread's rbf fit of them. Logs and tables go to bench/work/real-data. Needs the published CLI:
#   dotnet publish src/Runner -c Release --ucr -o bench/work/gpuspread
set -euo pipefail
cd "$(dirname "$0")/../.."
W=bench/work/real-data
G=bench/work/gpuspread/gpuspread
mkdir -p $W bench/work/runs
bash bench/kernel_ceiling.sh 4096 > $W/ceiling.log 2>&1
side() { /usr/bin/python3 bench/harness/side_by_side.py --gpuspread $G --engines cpu "$@"; }
side --dataset fashion-mnist --sizes 10000 --kernel rbf --gpuspread-args "--gamma 0.1" --sklearn-args "--gamma 0.1" --repeat 5 \
    --results $W/fm-rbf.md --json $W/fm-rbf.json > $W/fm-rbf.log 2>&1
side --dataset overlapping --sizes 20000 --kernel rbf --gpuspread-args "--gamma 0.015625" --sklearn-args "--gamma 0.015625" --repeat 3 \
    --results $W/ov-rbf.md --json $W/ov-rbf.json > $W/ov-rbf.log 2>&1
side --sizes 15000 --kernel rbf --repeat 3 --results $W/synth-rbf.md --json $W/synth-rbf.json > $W/synth-rbf.log 2>&1
side --dataset fashion-mnist --sizes 70000 --kernel knn --gpuspread-args "--n-neighbors 10" --sklearn-args "--n-neighbors 10" --repeat 3 \
    --results $W/fm-knn.md --json $W/fm-knn.json > $W/fm-knn.log 2>&1
D=bench/work/data/fashion-mnist_n70000_f0.01_s0
XXT="import time, numpy as np; X = np.load('$D/X.npy'); t = time.perf_counter(); G = X @ X.T; print(f'XXT 70000x784 float32: {time.perf_counter() - t:.2f} s', flush=True)"
for i in 1 2; do
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 -c "$XXT" > $W/xxt$i.log 2>&1
    /usr/bin/time -v $G spread --data $D/X.npy --labels $D/y.npy --truth $D/y_true.npy --kernel rbf --gamma 0.1 --engine cpu \
        --out bench/work/runs/fm-rbf-70k-$i > $W/rbf70k-$i.log 2>&1
done
tail -n 3 $W/*.md
cat $W/ceiling.log $W/xxt*.log
grep -h -E "fit|Elapsed|Maximum resident" $W/rbf70k-*.log
