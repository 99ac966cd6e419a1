#!/usr/bin/env bash
# The machine's float32 matrix-product ceiling (NumPy on OpenBLAS, a 4096^3 product, best of 3) and the
# distance micro-kernel's GFLOP/s (in both vector widths where the CPU has AVX-512), in the same run. Needs Debian's python3-numpy and libopenblas0-pthread.
set -euo pipefail
cd "$(dirname "$0")/.."
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 - <<'PY'
import time
import numpy as np
n = 4096
rng = np.random.default_rng(0)
a = rng.random((n, n), dtype=np.float32)
b = rng.random((n, n), dtype=np.float32)
a @ b  # warm-up
best = min((lambda t0: (a @ b, time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(3))
try:
    from threadpoolctl import threadpool_info
    blas = ", ".join(f"{i['internal_api']} {i.get('version')} ({i.get('architecture')}, {i['num_threads']} threads)" for i in threadpool_info() if i["user_api"] == "blas")
except ImportError:
    blas = "threadpoolctl not installed"
print(f"OpenBLAS sgemm: {n}^3, best of 3: {best:.3f} s, {2 * n**3 / best / 1e9:.1f} GFLOP/s [{blas}]")
PY
dotnet run --project bench/GpuSpread.Benchmarks -c Release -- ceiling "${1:-8192}"
# Where the CPU has AVX-512 the kernel runs on Vector512 panels; the Vector256 kernel too, for comparison.
if grep -qw avx512f /proc/cpuinfo; then
    DOTNET_PreferredVectorBitWidth=256 dotnet run --no-build --project bench/GpuSpread.Benchmarks -c Release -- ceiling "${1:-8192}"
fi
