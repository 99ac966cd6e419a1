#!/usr/bin/python3
"""Active-learning strategies x models on one data set, several seeds: one learning-curve figure and a table.

Usage (from the repository root, with Debian's /usr/bin/python3):
    /usr/bin/python3 bench/harness/active_compare.py --gpuspread bench/work/gpuspread/gpuspread \\
        --data DIR_OR_X --truth y_true.npy|csv --start 20 --rounds 5 --batch 100 --seeds 0,1,2 \\
        --strategies graph-coverage,margin,entropy,random --random-seeds 0,1,2 --models spreading \\
        --gpuspread-args '--kernel knn --n-neighbors 10' --work bench/work/active-compare/NAME \\
        --title 'Fashion-MNIST' --plot FIGURE.png --results TABLE.md

For each seed s, the starting labels are drawn as real.py draws them, synth.partial_labels(y_true, classes, START,
numpy.random.default_rng(s)): one row of each class, then uniformly. Every strategy and model then runs
`gpuspread active --truth y_true --strategy S --seed s --model M` on those labels, so that all of them start from
the same labels and only the picks differ; random runs once per --random-seeds value p on each draw (--seed p), so
that its mean and spread cover its own chance as well as the draw's. Each run's report.json gives the accuracy on the
rows still unlabeled at each round and after the last answers.

The figure: accuracy against the number of labels, one line per strategy and model (the mean over the seeds) with
its spread (min to max) as a band for random and as bars for the others. The table: the final accuracy, mean, min
and max over the seeds. Runs whose report.json exists are not run again (delete the work directory to rerun).
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synth  # noqa: E402


def read_labels(path):
    if path.endswith(".npy"):
        return np.load(path).astype(np.int64)
    return np.loadtxt(path, dtype=np.int64, ndmin=1)


def run_one(gpuspread, data, labels_path, truth, strategy, model, seed, rounds, batch, extra, out):
    report = os.path.join(out, "report.json")
    if not os.path.exists(report):
        cmd = shlex.split(gpuspread) + ["active", "--data", data, "--labels", labels_path, "--truth", truth,
                                        "--rounds", str(rounds), "--batch", str(batch), "--strategy", strategy,
                                        "--seed", str(seed), "--model", model, "--out", out] + shlex.split(extra)
        started = time.time()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise SystemExit(f"active_compare: {shlex.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        print(f"active_compare: {strategy} {model} seed {seed}: {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    with open(report) as f:
        r = json.load(f)
    points = [(x["n_labeled"], x["accuracy"]) for x in r["rounds"]]
    points.append((r["final"]["n_labeled"], r["final"]["accuracy"]))
    return points


def plot(path, title, subtitle, curves):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import textwrap
    # Left: the whole curve; right: from the first round's picks on, where the strategies part.
    fig, (whole, zoom) = plt.subplots(1, 2, figsize=(11, 5.2), dpi=110, gridspec_kw={"width_ratios": [1, 1.4]})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    zoom_low = np.inf
    for i, (name, runs) in enumerate(curves.items()):
        x = np.array([p[0] for p in runs[0]])
        y = np.array([[p[1] for p in run] for run in runs]) * 100
        mean, low, high = y.mean(axis=0), y.min(axis=0), y.max(axis=0)
        zoom_low = min(zoom_low, low[1:].min())
        random = name.startswith("random")
        colour = "0.45" if random else colours[i % len(colours)]
        for ax in (whole, zoom):
            if random:
                ax.fill_between(x, low, high, color=colour, alpha=0.25, linewidth=0)
                ax.plot(x, mean, color=colour, linestyle="--", marker="o", markersize=4,
                        label=f"{name} ({len(runs)} runs: mean; band: min-max)")
            else:
                ax.errorbar(x, mean, yerr=[mean - low, high - mean], color=colour, marker="o", markersize=4, capsize=3,
                            label=f"{name} ({len(runs)} runs: mean; bars: min-max)")
    zoom.set_xlim(x[1] - 0.03 * (x[-1] - x[0]), x[-1] + 0.03 * (x[-1] - x[0]))
    zoom.set_ylim(zoom_low - 1, None)
    for ax in (whole, zoom):
        ax.set_xlabel("labeled rows")
        ax.grid(True, alpha=0.3)
    whole.set_ylabel("accuracy on the unlabeled rows (%)")
    zoom.set_title("after the first picks", fontsize=10)
    zoom.legend(loc="lower right", fontsize=8)
    fig.suptitle(title + "\n" + "\n".join(textwrap.wrap(subtitle, 130)), fontsize=10)
    fig.tight_layout()
    fig.savefig(path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gpuspread", required=True, help="the CLI: an executable or a command such as 'dotnet path/gpuspread.dll'")
    p.add_argument("--data", required=True, help="X.npy / X.csv / X.csv.gz, or a directory holding X.npy")
    p.add_argument("--truth", help="the answer key (default: DATA's directory's y_true.npy)")
    p.add_argument("--start", type=int, required=True, help="labels to start from (at least one per class)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--strategies", default="graph-coverage,margin,entropy,random")
    p.add_argument("--random-seeds", default="0,1,2", help="--seed values of the random strategy's runs on each draw")
    p.add_argument("--models", default="spreading")
    p.add_argument("--gpuspread-args", default="", help="more options for every run, e.g. '--kernel knn --n-neighbors 10'")
    p.add_argument("--work", required=True, help="where the labels and runs go")
    p.add_argument("--title", default="")
    p.add_argument("--plot", required=True)
    p.add_argument("--results", required=True, help="the table (markdown); the curves go to the same name with .json")
    a = p.parse_args(argv)

    data = os.path.join(a.data, "X.npy") if os.path.isdir(a.data) else a.data
    truth_path = a.truth or os.path.join(os.path.dirname(data), "y_true.npy")
    y_true = read_labels(truth_path)
    classes = int(y_true.max()) + 1
    seeds = [int(s) for s in a.seeds.split(",")]
    strategies = a.strategies.split(",")
    models = a.models.split(",")
    os.makedirs(a.work, exist_ok=True)

    curves = {}
    for seed in seeds:
        labels_path = os.path.join(a.work, f"y_start{a.start}_seed{seed}.npy")
        np.save(labels_path, synth.partial_labels(y_true, classes, a.start, np.random.default_rng(seed)))
        for model in models:
            for strategy in strategies:
                name = strategy if len(models) == 1 else f"{strategy}, {model}"
                for pick_seed in ([int(p) for p in a.random_seeds.split(",")] if strategy == "random" else [seed]):
                    out = os.path.join(a.work, f"{strategy}_{model}_seed{seed}" + (f"_pick{pick_seed}" if strategy == "random" else ""))
                    curves.setdefault(name, []).append(run_one(a.gpuspread, data, labels_path, truth_path, strategy, model, pick_seed,
                                                               a.rounds, a.batch, a.gpuspread_args, out))

    subtitle = (f"{len(y_true):,} rows, {a.start} labels to start (draws {a.seeds}), {a.rounds} rounds of {a.batch}; "
                f"random: --seed {a.random_seeds} on each draw; {a.gpuspread_args or 'default model options'}")
    plot(a.plot, a.title, subtitle, curves)
    lines = [f"| strategy{'' if len(models) == 1 else ', model'} | final accuracy, mean | min | max | per draw ({a.seeds}; random: "
             f"--seed {a.random_seeds} on each) |",
             "|---|---:|---:|---:|---|"]
    for name, runs in curves.items():
        final = np.array([run[-1][1] for run in runs]) * 100
        lines.append(f"| {name} | {final.mean():.2f}% | {final.min():.2f}% | {final.max():.2f}% | "
                     + ", ".join(f"{v:.2f}" for v in final) + " |")
    with open(a.results, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.splitext(a.results)[0] + ".json", "w") as f:
        json.dump({"data": data, "truth": truth_path, "start": a.start, "rounds": a.rounds, "batch": a.batch, "seeds": seeds,
                   "gpuspread_args": a.gpuspread_args, "curves": curves}, f, indent=1)
        f.write("\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
