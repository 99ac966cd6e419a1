#!/usr/bin/env bash
# The checks that need a real GPU, in one command, their results in one folder. GPU machines are lent only now and
# then, for minutes, and have no .NET: the build is prepared here and travels as one archive.
#
#   bash bench/gpu-check.sh --prepare
#       here, with the .NET SDK: builds, then packs the test program (xunit v3: it runs without the SDK), the
#       gpuspread program beside it and the .NET runtime into .gpu-check/bundle.tar.xz (git ignores .gpu-check;
#       the device tool takes it with carry: [".gpu-check"]).
#   bash bench/gpu-check.sh [--out DIR] [--engine gpu|gpu-sim] [--quick]
#       on the GPU machine (default engine gpu, results in DIR, default bench/work/gpu-check). Here,
#       --engine gpu-sim --quick runs every step on ILGPU's CPU simulator at small sizes, to check the script.
#
# Steps, each writing into DIR (a step that fails is reported in DIR/summary.md and the others still run):
#   1. devices.txt: what ILGPU sees;
#   2. tests.log, tests.xml: the real-GPU tests and the parity suites over every engine ("gpu" among them where a
#      GPU is usable): scikit-learn's fixtures, graph input, the kNN options, combinations, conjugate gradients;
#   3. benchmark.txt: gpuspread devices --benchmark (one rbf iteration, GFLOP/s) at 20,000 and 100,000 rows;
#   4. side-by-side-*.md/json: the harness with --engines cpu,ENGINE: rbf at 20,000 and 100,000 x 64, knn at
#      100,000 x 64; and Fashion-MNIST (rbf, gamma 0.1) when a set is at bench/work/fashion-mnist (X.npy, y.npy,
#      y_true.npy; carry it along: bench/work is not in git).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
bundle_dir="$repo/.gpu-check"

if [[ "${1:-}" == "--prepare" ]]; then
    set -e
    dotnet build GpuSpread.sln -c Release
    rm -rf "$bundle_dir" && mkdir -p "$bundle_dir/stage/dotnet"
    dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
    runtime=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/* | sort -V | tail -n 1)
    cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$bundle_dir/stage/dotnet/"
    mkdir -p "$bundle_dir/stage/dotnet/shared/Microsoft.NETCore.App"
    cp -a "$runtime" "$bundle_dir/stage/dotnet/shared/Microsoft.NETCore.App/"
    # The tests' build holds gpuspread too; of the native plotting libraries only Linux x64's travel.
    mkdir -p "$bundle_dir/stage/tests"
    (cd tests/bin/Release/net10.0 && tar --exclude='./runtimes' -cf - . && [[ -d runtimes/linux-x64 ]] && tar -cf - runtimes/linux-x64) \
        | tar -xif - -C "$bundle_dir/stage/tests"
    tar -C "$bundle_dir/stage" -cJf "$bundle_dir/bundle.tar.xz" .
    rm -rf "$bundle_dir/stage"
    echo "gpu-check: $(du -h "$bundle_dir/bundle.tar.xz" | cut -f1) in $bundle_dir/bundle.tar.xz"
    exit 0
fi

out="$repo/bench/work/gpu-check"
engine=gpu
quick=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --out) out=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
        --engine) engine=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        *) echo "gpu-check: unknown argument '$1' (see the comment at the top of $0)" >&2; exit 2 ;;
    esac
done
if [[ ! -f "$bundle_dir/bundle.tar.xz" ]]; then
    echo "gpu-check: $bundle_dir/bundle.tar.xz is missing: run 'bash bench/gpu-check.sh --prepare' where the .NET SDK is" >&2
    exit 2
fi
mkdir -p "$out"
summary="$out/summary.md"
start=$(date +%s)
{
    echo "# gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ), engine $engine$([[ $quick == 1 ]] && echo ', quick')"
    echo
    echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/GPU: /'
    echo
} > "$summary"

# The bundle inside the checkout, so that the tests find the repository (GpuSpread.sln) above them.
work="$bundle_dir/run"
rm -rf "$work" && mkdir -p "$work" && tar -C "$work" -xJf "$bundle_dir/bundle.tar.xz"
export DOTNET_ROOT="$work/dotnet" DOTNET_CLI_TELEMETRY_OPTOUT=1
dotnet_exe="$work/dotnet/dotnet"
gpuspread="$dotnet_exe $work/tests/gpuspread.dll"

step() {
    local name=$1
    shift
    local clock=$(date +%s)
    if "$@"; then status=ok; else status="FAILED (exit $?)"; fi
    echo "- $name: $status, $(( $(date +%s) - clock )) s" >> "$summary"
}

step "devices" bash -c "$gpuspread devices > '$out/devices.txt' 2>&1"
sed 's/^/    /' "$out/devices.txt" >> "$summary"

tests=(-class GpuSpread.Tests.Gpu.RealGpuTests)
if [[ $quick == 0 ]]; then
    for class in Fixtures.SklearnParityTests Graphs.GraphParityTests Graphs.CombinationTests Graphs.HandComputedGraphTests \
                 Engine.ConjugateGradientTests Engine.PoissonTests Gpu.GpuCpuParityTests Gpu.GpuEngineTests; do
        tests+=(-class "GpuSpread.Tests.$class")
    done
fi
step "tests" bash -c "'$dotnet_exe' '$work/tests/GpuSpread.Tests.dll' ${tests[*]} -noColor -xml '$out/tests.xml' > '$out/tests.log' 2>&1"
grep -E "Total: " "$out/tests.log" | tail -n 2 | sed 's/^/  /' >> "$summary"

rows=(20000 100000)
[[ $quick == 1 ]] && rows=(2000)
for n in "${rows[@]}"; do
    step "benchmark $n" bash -c "$gpuspread devices --benchmark --engine $engine --rows $n >> '$out/benchmark.txt' 2>&1"
done
cat "$out/benchmark.txt" >> "$summary" 2>/dev/null

# The harness needs a Python with numpy (the GPU machine's python3 has it; here, Debian's /usr/bin/python3).
python=python3
for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c "import numpy" 2>/dev/null; then python=$candidate; break; fi
done
harness() {
    local name=$1
    shift
    "$python" bench/harness/side_by_side.py --gpuspread "$gpuspread" --engines "cpu,$engine" --sklearn-max-n 0 \
        --python "$python" --work "$out/work" --results "$out/side-by-side-$name.md" --json "$out/side-by-side-$name.json" "$@" \
        > "$out/side-by-side-$name.log" 2>&1 && rm "$out/side-by-side-$name.log"
}
if [[ $quick == 1 ]]; then
    step "side by side rbf" harness rbf --sizes 2000 --kernel rbf
    step "side by side knn" harness knn --sizes 2000 --kernel knn
else
    step "side by side rbf" harness rbf --sizes 20000,100000 --kernel rbf
    step "side by side knn" harness knn --sizes 100000 --kernel knn
fi
fashion="$repo/bench/work/fashion-mnist"
if [[ -f "$fashion/X.npy" && $quick == 0 ]]; then
    step "Fashion-MNIST rbf" bash -c "for e in cpu $engine; do $gpuspread spread --data '$fashion/X.npy' --labels '$fashion/y.npy' \
        --truth '$fashion/y_true.npy' --gamma 0.1 --engine \$e --out '$out/work/fashion-\$e' || exit; done > '$out/fashion.log' 2>&1"
else
    echo "- Fashion-MNIST: not run ($fashion/X.npy absent, or --quick)" >> "$summary"
fi
# Few files come back from a lent machine: the tables go into the summary.
for table in "$out"/side-by-side-*.md; do
    [[ -f "$table" ]] && { echo; cat "$table"; } >> "$summary" && rm "$table"
done
rm -rf "$out/work" "$work"
echo >> "$summary"
echo "total $(( $(date +%s) - start )) s" >> "$summary"
cat "$summary"
! grep -q "FAILED" "$summary"
