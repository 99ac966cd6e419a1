#!/bin/bash
# Fashion-MNIST knn spreading, clean and with one sentinel pixel, alternating two builds of gpuspread, then the
# machine's ceiling. Usage: bash bench/harness/fmnist_outlier_run.sh DATA OLD_GPUSPREAD NEW_GPUSPREAD
# (DATA from bench/harness/fmnist.py).
set -u
data=$1; old=$2; new=$3
for x in X70 Xo70; do for r in 1 2; do for v in old new; do
  binary=$old; [ $v = new ] && binary=$new
  /usr/bin/time -f "$x $v wall=%e rss_kb=%M" "$binary" spread --data "$data/$x.npy" --labels "$data/y70.npy" \
    --truth "$data/t70.npy" --kernel knn --engine cpu --out "$data/out-$v-$x" 2>&1 | grep -E "wall=|fit |accuracy|warning"
done; done; done
bash "$(dirname "$0")/../kernel_ceiling.sh" 4096 2>&1 | tail -3
