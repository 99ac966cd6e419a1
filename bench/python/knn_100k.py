#!/usr/bin/python3
"""The same knn LabelSpreading fit from Python (gpuspread, in process) and from the command line, alternating, each
in a fresh process: their fit times and whether their predictions agree.

Usage (from the repository root, after `dotnet build GpuSpread.sln -c Release` and bench/harness/synth.py):
    /usr/bin/python3 bench/python/knn_100k.py --data bench/work/data/n100000 --runs 5

The command line's time is its summary.json "seconds" (the fit, from the features in memory to the distributions);
Python's is the wall time of LabelSpreading.fit in a fresh interpreter, the runtime's start included, and of the
first and second fit in that process; the part outside the engine's graph and solver (the same clocks as the command
line's "seconds") is printed too, being less exposed to other load on the machine than a comparison across processes.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON_FIT = """
import sys, time, json, numpy as np
sys.path.insert(0, {package!r})
import gpuspread
X = np.load({data!r} + '/X.npy'); y = np.load({data!r} + '/y.npy')
times, engine = [], []
for _ in range(2):
    start = time.perf_counter()
    model = gpuspread.LabelSpreading(kernel='knn', engine='cpu', precision='float32').fit(X, y)
    times.append(time.perf_counter() - start)
    engine.append(model._model.info['graph_seconds'] + model._model.info['diffuse_seconds'])
np.save({out!r}, model.transduction_)
print(json.dumps({{'first': times[0], 'second': times[1], 'engine_first': engine[0], 'engine_second': engine[1],
                  'n_iter': model.n_iter_}}))
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = str(Path(args.data).resolve())
    cli = ROOT / "src" / "Runner" / "bin" / "Release" / "net10.0" / "gpuspread.dll"
    environment = dict(os.environ, GPUSPREAD_DOTNET_DIR=str(ROOT / "src" / "Interop" / "bin" / "Release" / "net10.0"))
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for run in range(args.runs):
            out = Path(work) / f"cli{run}"
            subprocess.run(["dotnet", str(cli), "spread", "--data", f"{data}/X.npy", "--labels", f"{data}/y.npy",
                            "--kernel", "knn", "--engine", "cpu", "--out", str(out)], check=True,
                           stderr=subprocess.DEVNULL)
            summary = json.loads((out / "summary.json").read_text())
            cli_predictions = np.loadtxt(out / "predictions.csv", dtype=np.int64)
            python_out = Path(work) / f"py{run}.npy"
            program = PYTHON_FIT.format(package=str(ROOT / "python"), data=data, out=str(python_out))
            result = json.loads(subprocess.run([sys.executable, "-c", program], check=True, capture_output=True,
                                               text=True, env=environment).stdout)
            agree = np.array_equal(np.load(python_out), cli_predictions)
            rows.append((summary["seconds"], result["first"], result["second"], summary["n_iter"], result["n_iter"], agree,
                         result["first"] - result["engine_first"], result["second"] - result["engine_second"]))
            print(f"run {run + 1}: cli fit {summary['seconds']:.3f} s (n_iter {summary['n_iter']}); python fit "
                  f"{result['first']:.3f} s first ({result['engine_first']:.3f} s in the engine), "
                  f"{result['second']:.3f} s second ({result['engine_second']:.3f} s) (n_iter {result['n_iter']}); "
                  f"predictions {'identical' if agree else 'DIFFER'}", flush=True)
    cli_best = min(r[0] for r in rows)
    first_best = min(r[1] for r in rows)
    second_best = min(r[2] for r in rows)
    print(f"best of {args.runs}: cli {cli_best:.3f} s, python first fit {first_best:.3f} s "
          f"({100 * (first_best / cli_best - 1):+.1f}%), second fit {second_best:.3f} s "
          f"({100 * (second_best / cli_best - 1):+.1f}%); predictions identical in every run: {all(r[5] for r in rows)}")
    print(f"python outside the engine's graph and solver (median): first fit {np.median([r[6] for r in rows]):.3f} s, "
          f"second {np.median([r[7] for r in rows]):.3f} s")


if __name__ == "__main__":
    main()
