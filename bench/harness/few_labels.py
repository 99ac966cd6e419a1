#!/usr/bin/python3
"""Very few labels: accuracy of each model with 1, 5, ... labels per class, over several seeds.

For each seed, one numpy Generator (default_rng(seed)) draws, class by class in sorted order, the given number of
that class's rows (rng.choice without replacement); every other row is unlabeled. Each model is run by the CLI on
the same labels, and the accuracy on the unlabeled rows is read from its summary.json. Writes a markdown table
(per seed, mean, min, max) and a JSON record.

    /usr/bin/python3 bench/harness/few_labels.py --data bench/work/data/fashion-mnist_n70000_f0.01_s0 \\
        --gpuspread bench/work/gpuspread/gpuspread --per-class 1,5 --seeds 0,1,2,3,4 \\
        --models spreading,poisson --args "--kernel knn --n-neighbors 10 --engine cpu"
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np


def draw(y_true, per_class, seed):
    rng = np.random.default_rng(seed)
    labels = np.full(len(y_true), -1, dtype=np.int64)
    for c in np.unique(y_true):
        rows = np.flatnonzero(y_true == c)
        labels[rng.choice(rows, size=per_class, replace=False)] = c
    return labels


def run(gpuspread, data, labels_path, model, args, out):
    command = shlex.split(gpuspread) + ["spread", "--data", os.path.join(data, "X.npy"), "--labels", labels_path,
                                        "--truth", os.path.join(data, "y_true.npy"), "--model", model,
                                        "--out", out] + shlex.split(args)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    return summary


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="a folder with X.npy and y_true.npy (bench/harness/real.py writes one)")
    p.add_argument("--gpuspread", required=True, help="the CLI, split like a shell would")
    p.add_argument("--per-class", default="1,5", help="labels per class, comma-separated")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated")
    p.add_argument("--models", default="spreading,poisson", help="comma-separated --model values")
    p.add_argument("--args", default="--kernel knn --n-neighbors 10", help="more CLI options for every run")
    p.add_argument("--results", help="markdown table to write (default: stdout only)")
    p.add_argument("--json", help="JSON record to write")
    a = p.parse_args(argv)

    y_true = np.load(os.path.join(a.data, "y_true.npy"))
    seeds = [int(s) for s in a.seeds.split(",")]
    records = []
    with tempfile.TemporaryDirectory() as work:
        for per_class in [int(k) for k in a.per_class.split(",")]:
            for seed in seeds:
                labels_path = os.path.join(work, f"labels_{per_class}_{seed}.npy")
                np.save(labels_path, draw(y_true, per_class, seed))
                for model in a.models.split(","):
                    out = os.path.join(work, f"out_{per_class}_{seed}_{model}")
                    summary = run(a.gpuspread, a.data, labels_path, model, a.args, out)
                    record = {"per_class": per_class, "seed": seed, "model": model,
                              "accuracy": summary["accuracy_unlabeled"], "n_iter": summary["n_iter"],
                              "converged": summary["converged"], "fit_seconds": summary["seconds"]}
                    records.append(record)
                    print(json.dumps(record), flush=True)

    lines = [f"Options: `{a.args}`; accuracy on the unlabeled rows (n_iter).", "",
             "| labels per class | model | " + " | ".join(f"seed {s}" for s in seeds) + " | mean | min | max |",
             "|---:|---|" + "---:|" * (len(seeds) + 3)]
    for per_class in sorted({r["per_class"] for r in records}):
        for model in a.models.split(","):
            rows = [r for r in records if r["per_class"] == per_class and r["model"] == model]
            accuracies = [100 * r["accuracy"] for r in rows]
            cells = [f"{100 * r['accuracy']:.2f}% ({r['n_iter']})" for r in rows]
            lines.append(f"| {per_class} | {model} | " + " | ".join(cells)
                         + f" | {np.mean(accuracies):.2f}% | {min(accuracies):.2f}% | {max(accuracies):.2f}% |")
    table = "\n".join(lines) + "\n"
    print(table)
    if a.results:
        with open(a.results, "w") as f:
            f.write(table)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
