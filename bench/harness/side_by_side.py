#!/usr/bin/python3
"""Side-by-side benchmark: scikit-learn vs the GpuSpread CLI, one command.

Example (see bench/harness/README.md):
    /usr/bin/python3 bench/harness/side_by_side.py \
        --gpuspread bench/work/gpuspread/gpuspread \
        --sizes 2000,5000,10000,20000 --kernel rbf --model spreading --engines cpu \
        --results bench/work/results.md --json bench/work/results.json \
        --plot bench/work/results.png

For each size n: generate the synthetic data once (synth.py, cached under
WORK/data by its parameters), run sklearn_run.py (unless n > --sklearn-max-n) and
`<gpuspread> spread ...` once per engine, each under `/usr/bin/time -v`, and report
wall-clock time and peak RSS (from GNU time), n_iter and fit seconds (from each
tool's summary.json), accuracy on the unlabeled rows against y_true, and agreement
of the gpuspread predictions with scikit-learn's on all rows.

scikit-learn runs under `prlimit --as` (address-space limit, --sklearn-memory-limit-gib)
so that an oversized dense matrix raises MemoryError instead of swapping or waking the
OOM killer, and with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (numpy at its best;
the BLAS numpy then uses is read with threadpoolctl and printed in the header).
"""
import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SYNTH = HERE / "synth.py"
REAL = HERE / "real.py"
SKLEARN_RUN = HERE / "sklearn_run.py"
GNU_TIME = "/usr/bin/time"
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
DEFAULT_SKLEARN_MAX_N = {"rbf": 26000, "knn": 1000000}

sys.path.insert(0, str(HERE))
import synth  # noqa: E402  (same folder)


# ----------------------------------------------------------------------------- helpers

def log(msg):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def default_python():
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def parse_sizes(text):
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if not part:
            continue
        mult = 1
        if part.endswith("k"):
            mult, part = 1000, part[:-1]
        elif part.endswith("m"):
            mult, part = 1000000, part[:-1]
        sizes.append(int(float(part) * mult))
    if not sizes:
        raise argparse.ArgumentTypeError("no sizes")
    return sizes


def unset_blas_env_prefix():
    """`env -u ...` so the exact command line shows what the sklearn run's environment is."""
    pre = ["env"]
    for k in BLAS_ENV:
        pre += ["-u", k]
    return pre


def memory_limit_prefix(gib):
    if not gib or gib <= 0:
        return []
    nbytes = int(gib * 1024 ** 3)
    if shutil.which("prlimit"):
        return ["prlimit", f"--as={nbytes}", "--"]
    # fallback: the shell's ulimit -v (KiB), then exec the command
    return ["bash", "-c", f'ulimit -v {nbytes // 1024} && exec "$@"', "bash"]


def parse_gnu_time(path):
    """Wall seconds, peak RSS (MiB), exit status and signal from `/usr/bin/time -v -o`."""
    res = {"wall_s": None, "rss_mib": None, "exit_status": None, "signal": None}
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return res
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*([0-9:.]+)", text)
    if m:
        parts = [float(x) for x in m.group(1).split(":")]
        secs = 0.0
        for x in parts:
            secs = secs * 60 + x
        res["wall_s"] = secs
    m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", text)
    if m:
        res["rss_mib"] = int(m.group(1)) / 1024.0
    m = re.search(r"Exit status:\s*(-?\d+)", text)
    if m:
        res["exit_status"] = int(m.group(1))
    m = re.search(r"Command terminated by signal (\d+)", text)
    if m:
        res["signal"] = int(m.group(1))
    return res


_RUNNING = []  # the run in progress (its own process group), for the signal handler


def _children(pid):
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _kill_group(proc):
    # The group we started (start_new_session), by its id. Also when its leader (GNU
    # time) has exited: a grandchild may still be in it. Linux does not reuse a pid
    # while it still names a process group, so this cannot hit anyone else's processes.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _on_signal(signum, frame):
    for proc in list(_RUNNING):
        _kill_group(proc)
    log(f"signal {signum}: stopped the run in progress, exiting")
    sys.exit(128 + signum)


def run_measured(cmd, run_dir, timeout_s, env=None):
    """Run cmd under GNU time (where it is installed) in its own process group; kill the group on timeout."""
    run_dir.mkdir(parents=True, exist_ok=True)
    time_file = run_dir / "time.txt"
    for f in ("time.txt",):
        try:
            (run_dir / f).unlink()
        except FileNotFoundError:
            pass
    full = ([GNU_TIME, "-v", "-o", str(time_file)] if os.path.exists(GNU_TIME) else []) + cmd
    (run_dir / "command.txt").write_text(shlex.join(full) + "\n")
    t0 = time.perf_counter()
    timed_out = False
    with open(run_dir / "stdout.log", "wb") as out, open(run_dir / "stderr.log", "wb") as err:
        proc = subprocess.Popen(full, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)
        _RUNNING.append(proc)
        try:
            rc = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            # Kill the measured command itself first, so that GNU time (its parent, our
            # child) still writes wall time and peak RSS; then the rest of the group.
            for pid in _children(proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            _kill_group(proc)
            rc = proc.returncode
        finally:
            # whatever happened (Ctrl-C, an exception), leave no run behind
            _kill_group(proc)
            _RUNNING.remove(proc)
    py_wall = time.perf_counter() - t0
    res = parse_gnu_time(time_file)
    res.update({"returncode": rc, "timed_out": timed_out, "harness_wall_s": py_wall,
                "command": shlex.join(full)})
    if res["wall_s"] is None:
        res["wall_s"] = py_wall
    return res


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_predictions(path):
    """One label per line; tolerates a header line and takes the last column of a CSV."""
    path = Path(path)
    if not path.exists():
        return None
    with open(path) as f:
        first = f.readline().strip()
    skip = 0
    cols = first.split(",")
    try:
        float(cols[-1])
    except ValueError:
        skip = 1
    usecols = len(cols) - 1 if len(cols) > 1 else None
    try:
        arr = np.loadtxt(path, dtype=np.float64, delimiter="," if len(cols) > 1 else None,
                         skiprows=skip, usecols=usecols, ndmin=1)
    except ValueError:
        return None
    return np.rint(arr).astype(np.int64)


def tail(path, nlines=5):
    try:
        lines = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(lines[-nlines:])[-600:]


def classify(res, summary, memory_exit_codes=(3,)):
    """ok / MemoryError / timeout / error, plus a short detail."""
    if res["timed_out"]:
        return "timeout", f"killed after {res['harness_wall_s']:.0f} s"
    err = (summary or {}).get("error")
    if err:
        if "memory" in str(err).lower():
            return "MemoryError", "" if err == "MemoryError" else str(err)
        return "error", str(err)
    if res["signal"] is not None:
        return "error", f"signal {res['signal']}" + (" (OOM killer?)" if res["signal"] == 9 else "")
    rc = res["exit_status"] if res["exit_status"] is not None else res["returncode"]
    if rc in memory_exit_codes:
        return "MemoryError", f"exit {rc}"
    if rc != 0:
        return "error", f"exit {rc}"
    if summary is None:
        return "error", "no summary.json"
    return "ok", ""


# ----------------------------------------------------------------------------- machine

def machine_info(python):
    info = {"nproc": os.cpu_count(), "cpu_model": None, "mem_total_gib": None}
    try:
        info["nproc"] = int(subprocess.check_output(["nproc"], text=True).strip())
    except Exception:
        pass
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                info["mem_total_gib"] = round(int(line.split()[1]) / 1024 ** 2, 1)
    except OSError:
        pass
    info["blas_env_in_parent"] = {k: os.environ.get(k) for k in BLAS_ENV}
    probe = ("import json, numpy\n"
             "try:\n"
             "    import threadpoolctl; tp = threadpoolctl.threadpool_info()\n"
             "except Exception as e:\n"
             "    tp = [{'error': 'threadpoolctl unavailable: %s' % e}]\n"
             "import sklearn\n"
             "print(json.dumps({'numpy': numpy.__version__, 'sklearn': sklearn.__version__,"
             " 'threadpools': tp}))\n")
    try:
        out = subprocess.check_output(unset_blas_env_prefix() + [python, "-c", probe],
                                      text=True, stderr=subprocess.DEVNULL, timeout=120)
        info.update(json.loads(out.strip().splitlines()[-1]))
    except Exception as e:
        info["probe_error"] = f"{type(e).__name__}: {e}"
    return info


def blas_summary(info):
    parts = []
    if info.get("numpy"):
        parts.append(f"numpy {info['numpy']}")
    for tp in info.get("threadpools", []):
        if tp.get("user_api") == "blas":
            parts.append(f"{tp.get('internal_api')} {tp.get('version')} "
                         f"({tp.get('threading_layer')}, kernel {tp.get('architecture')}, "
                         f"{tp.get('num_threads')} threads, {tp.get('filepath')})")
        elif "error" in tp:
            parts.append(tp["error"])
    if info.get("sklearn"):
        parts.append(f"scikit-learn {info['sklearn']}")
    env = info.get("blas_env_in_parent", {})
    set_vars = [f"{k}={v}" for k, v in env.items() if v is not None]
    parts.append(("parent env had " + ", ".join(set_vars) if set_vars else
                  "OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE not set") + "; both unset for sklearn runs")
    return "; ".join(parts)


# ----------------------------------------------------------------------------- runs

def ensure_data(a, n, python):
    if a.dataset != "synthetic":
        d = a.work / "data" / f"{a.dataset}_n{n}_f{a.labeled_fraction:g}_s{a.seed}"
        subprocess.run([python, str(REAL), "--dataset", a.dataset, "--n", str(n), "--labeled-fraction",
                        str(a.labeled_fraction), "--seed", str(a.seed), "--out", str(d)], check=True)
        return d
    d = a.work / "data" / f"n{n}_d{a.d}_c{a.classes}_f{a.labeled_fraction:g}_s{a.seed}"
    if synth.is_cached(str(d), n, a.d, a.classes, a.labeled_fraction, a.seed):
        log(f"data n={n}: cached {d}")
    else:
        log(f"data n={n}: generating {d}")
        subprocess.run([python, str(SYNTH), "--n", str(n), "--d", str(a.d),
                        "--classes", str(a.classes), "--labeled-fraction",
                        str(a.labeled_fraction), "--seed", str(a.seed), "--out", str(d),
                        "--force"], check=True)
    return d


def evaluate(pred, y, y_true):
    if pred is None:
        return None, "no predictions.csv"
    if pred.shape[0] != y_true.shape[0]:
        return None, f"predictions has {pred.shape[0]} rows, expected {y_true.shape[0]}"
    unl = y == -1
    return float((pred[unl] == y_true[unl]).mean()) if unl.any() else None, ""


def run_once(a, label, cmd, run_dir, env, n, rep):
    """One run of a tool: the measurement, its summary.json and how it ended."""
    if rep == 0:
        log(f"n={n} {label}: {shlex.join(cmd)}")
    for stale in ("summary.json", "predictions.csv", "distributions.csv"):
        try:
            (run_dir / stale).unlink()
        except FileNotFoundError:
            pass
    res = run_measured(cmd, run_dir, a.timeout_s, env=env)
    summary = read_json(run_dir / "summary.json")
    status, detail = classify(res, summary)
    if a.repeat > 1:
        log(f"n={n} {label}: run {rep + 1}/{a.repeat}: {status}, wall "
            f"{fmt(res['wall_s'], 2)} s, fit {fmt((summary or {}).get('seconds'), 3)} s")
    return {"res": res, "summary": summary, "status": status, "detail": detail}


def record(label, attempts, run_dir, n, y, y_true):
    """A tool's record from its runs (the last one failed if any did): wall and fit seconds of the quickest run,
    the slowest wall beside it, peak RSS the largest; predictions and accuracy from the last run."""
    last = attempts[-1]
    res, summary, status, detail = last["res"], last["summary"], last["status"], last["detail"]
    walls = [t["res"]["wall_s"] for t in attempts]
    fits = [(t["summary"] or {}).get("seconds") for t in attempts]
    rsss = [t["res"]["rss_mib"] for t in attempts]
    if status == "ok":
        wall_s, wall_slowest = min(walls), max(walls)
        fit_s = min(fits) if all(f is not None for f in fits) else None
        rss = max(r for r in rsss if r is not None) if any(r is not None for r in rsss) else None
    else:  # report the failing run itself
        wall_s, wall_slowest, fit_s, rss = walls[-1], walls[-1], fits[-1], rsss[-1]
    rec = {"n": n, "tool": label, "status": status, "detail": detail,
           "wall_s": wall_s, "wall_s_slowest": wall_slowest, "peak_rss_mib": rss, "fit_s": fit_s,
           "n_iter": (summary or {}).get("n_iter"),
           "converged": (summary or {}).get("converged"),
           "engine": (summary or {}).get("engine"), "device": (summary or {}).get("device"),
           "exit_status": res["exit_status"], "signal": res["signal"],
           "repeats": len(walls), "wall_s_all": walls, "fit_s_all": fits,
           "peak_rss_mib_all": rsss,
           "command": res["command"], "run_dir": str(run_dir),
           "accuracy": None, "agreement_with_sklearn": None}
    pred = None
    if status == "ok":
        pred = read_predictions(run_dir / "predictions.csv")
        acc, why = evaluate(pred, y, y_true)
        rec["accuracy"] = acc
        if why:
            rec["status"], rec["detail"] = "error", why
            pred = None
    else:
        rec["stderr_tail"] = tail(run_dir / "stderr.log")
    log(f"n={n} {label}: {rec['status']}"
        f"{' (' + rec['detail'] + ')' if rec['detail'] else ''}, wall {fmt(rec['wall_s'], 2)}-{fmt(rec['wall_s_slowest'], 2)} s, "
        f"peak RSS {fmt(rec['peak_rss_mib'], 0)} MiB, fit {fmt(rec['fit_s'], 3)} s, "
        f"n_iter {fmt(rec['n_iter'], 0)}, accuracy {fmt(rec['accuracy'], 4)}")
    return rec, pred


def human_n(v):
    v = float(v)
    for div, suf in ((1e6, "M"), (1e3, "k")):
        if v >= div and (v / div) == round(v / div, 1):
            return f"{v / div:g}{suf}"
    return f"{v:g}"


def fmt(v, digits):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


# ----------------------------------------------------------------------------- output

def wall_text(r):
    slowest = r.get("wall_s_slowest")
    if slowest is None or r.get("repeats", 1) < 2:
        return fmt(r["wall_s"], 2)
    return f"{fmt(r['wall_s'], 2)} ({fmt(slowest, 2)})"


def markdown(a, machine, cmdline, records, started):
    lines = []
    lines.append(f"## GpuSpread vs scikit-learn: {a.model}, kernel {a.kernel} "
                 f"({started:%Y-%m-%d %H:%M})")
    lines.append("")
    lines.append(f"- machine: {machine.get('nproc')} cores (nproc), "
                 f"{machine.get('cpu_model')}, {machine.get('mem_total_gib')} GiB RAM")
    lines.append(f"- BLAS: {blas_summary(machine)}")
    data = f"synth.py d={a.d}, classes={a.classes}" if a.dataset == "synthetic" else f"real.py {a.dataset}"
    lines.append(f"- data: {data}, "
                 f"labeled fraction {a.labeled_fraction:g}, seed {a.seed}; "
                 f"sklearn limited to n <= {a.sklearn_max_n} under an address-space limit "
                 f"of {a.sklearn_memory_limit_gib:g} GiB; timeout {a.timeout_s:g} s per run"
                 + (f"; {a.repeat} runs each, the tools in turn: wall s is the quickest (the slowest in brackets), "
                    "fit s the quickest, peak RSS the largest" if a.repeat > 1 else ""))
    lines.append("- wall s and peak RSS: GNU time -v of the whole process (start-up, data "
                 "loading, writing included); fit s, n_iter: the tool's summary.json; "
                 "accuracy: on the unlabeled rows vs y_true; agreement: gpuspread vs sklearn "
                 "predictions on all rows")
    lines.append(f"- command: `{cmdline}`")
    lines.append("")
    lines.append("| n | tool/engine | wall s | fit s | peak RSS MiB | n_iter | accuracy "
                 "| agreement with sklearn | status |")
    lines.append("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for r in records:
        status = r["status"] + (f" ({r['detail']})" if r.get("detail") else "")
        n_iter = r["n_iter"]
        if n_iter is not None and r.get("converged") is False:
            n_iter = f"{n_iter} (not converged)"
        lines.append("| " + " | ".join([
            str(r["n"]), r["tool"], wall_text(r), fmt(r["fit_s"], 3),
            fmt(r["peak_rss_mib"], 0), fmt(n_iter, 0), fmt(r["accuracy"], 4),
            fmt(r["agreement_with_sklearn"], 4), status.replace("|", "/")]) + " |")
    lines.append("")
    return "\n".join(lines)


def plot(a, records, path, machine):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    tools = []
    for r in records:
        if r["tool"] not in tools and r["status"] != "skipped":
            tools.append(r["tool"])
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2))
    metrics = (("wall_s", "wall-clock time (s)"), ("peak_rss_mib", "peak RSS (MiB)"))
    markers = "osD^v<>p*h"
    for ax, (key, ylabel) in zip(axes, metrics):
        for i, tool in enumerate(tools):
            rs = sorted((r for r in records if r["tool"] == tool), key=lambda r: r["n"])
            ok = [(r["n"], r[key]) for r in rs if r["status"] == "ok" and r[key]]
            color = f"C{i}"
            if ok:
                xs, ys = zip(*ok)
                ax.plot(xs, ys, marker=markers[i % len(markers)], color=color, label=tool,
                        linewidth=1.8, markersize=6)
            bad = [r for r in rs if r["status"] not in ("ok", "skipped") and r[key]]
            for j, r in enumerate(bad):
                ax.plot([r["n"]], [r[key]], marker="x", color=color, markersize=11,
                        markeredgewidth=2.5, linestyle="none",
                        label=f"{tool}: failed" if j == 0 else None)
                ax.annotate(r["status"], (r["n"], r[key]), textcoords="offset points",
                            xytext=(6, 6), fontsize=8, color=color)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.margins(x=0.12, y=0.12)  # room for the failure labels
        # plain tick labels: the sizes themselves on x, numbers (not 10^k) on y
        sizes = sorted({r["n"] for r in records})
        ax.xaxis.set_major_locator(FixedLocator(sizes))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: human_n(v)))
        ax.xaxis.set_minor_formatter(NullFormatter())
        if len(sizes) > 8:
            plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        lo, hi = ax.get_ylim()
        narrow = hi / lo < 30
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}") if narrow
                                     else NullFormatter())
        ax.set_xlabel("n (points)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=9)
    axes[0].set_title("wall-clock time vs n")
    axes[1].set_title("peak resident memory vs n")
    fig.suptitle(f"{a.model}, kernel {a.kernel}, d={a.d}, {a.classes} classes — "
                 f"{machine.get('nproc')} cores, {machine.get('cpu_model')}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_all(a, gpus, engines, sk_env, records, save_json):
    """Per size, the tools run in turn, --repeat rounds of one run each, so that a slow spell of the shared
    machine falls on all of them; a tool that fails is not run again."""
    for n in a.sizes:
        data = ensure_data(a, n, a.python)
        y = np.load(data / "y.npy")
        y_true = np.load(data / "y_true.npy")
        runs = a.work / "runs" / f"{a.model}_{a.kernel}" / f"n{n}"
        tools = []  # (label, command, run folder, environment)
        if n <= a.sklearn_max_n:
            tools.append(("sklearn", unset_blas_env_prefix() + memory_limit_prefix(a.sklearn_memory_limit_gib) +
                          [a.python, str(SKLEARN_RUN), "--data", str(data / "X.npy"),
                           "--labels", str(data / "y.npy"), "--model", a.model, "--kernel", a.kernel,
                           "--out", str(runs / "sklearn")] + shlex.split(a.sklearn_args),
                          runs / "sklearn", sk_env))
        else:
            log(f"n={n} sklearn: skipped (n > --sklearn-max-n {a.sklearn_max_n})")
        for eng in (engines if gpus else []):
            out = runs / (f"gpuspread-{eng}" if eng else "gpuspread")
            cmd = gpus + ["spread", "--data", str(data / "X.npy"), "--labels",
                          str(data / "y.npy"), "--out", str(out), "--model", a.model,
                          "--kernel", a.kernel]
            if eng:
                cmd += ["--engine", eng]
            tools.append((f"gpuspread/{eng}" if eng else "gpuspread", cmd + shlex.split(a.gpuspread_args), out, None))
        attempts = {label: [] for label, *_ in tools}
        for rep in range(a.repeat):
            for label, cmd, run_dir, env in tools:
                if attempts[label] and attempts[label][-1]["status"] != "ok":
                    continue
                attempts[label].append(run_once(a, label, cmd, run_dir, env, n, rep))
        sk_pred = None
        if n > a.sklearn_max_n:
            records.append({"n": n, "tool": "sklearn", "status": "skipped",
                            "detail": f"n > --sklearn-max-n {a.sklearn_max_n}", "wall_s": None,
                            "wall_s_slowest": None, "peak_rss_mib": None, "fit_s": None, "n_iter": None,
                            "accuracy": None, "agreement_with_sklearn": None})
        for label, cmd, run_dir, env in tools:
            rec, pred = record(label, attempts[label], run_dir, n, y, y_true)
            if label == "sklearn":
                sk_pred = pred
            elif pred is not None and sk_pred is not None:
                rec["agreement_with_sklearn"] = float((pred == sk_pred).mean())
            records.append(rec)
        save_json()


# ----------------------------------------------------------------------------- main

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="See bench/harness/README.md.")
    p.add_argument("--gpuspread", default=None,
                   help='the GpuSpread CLI: an executable or a command such as '
                        '"dotnet path/to/gpuspread.dll" (split like a shell); '
                        'omit to run scikit-learn alone')
    p.add_argument("--sizes", type=parse_sizes, required=True,
                   help="comma list of n, e.g. 2000,5000,10k,1m")
    p.add_argument("--kernel", choices=["rbf", "knn"], default="rbf")
    p.add_argument("--model", choices=["spreading", "propagation"], default="spreading")
    p.add_argument("--engines", default="cpu",
                   help='comma list passed as --engine to gpuspread, one run each; '
                        '"" runs once without --engine')
    p.add_argument("--gpuspread-args", default="",
                   help='extra arguments for gpuspread, e.g. "--memory-limit 1GiB"')
    p.add_argument("--sklearn-args", default="",
                   help='extra arguments for sklearn_run.py, e.g. "--n-jobs 2"')
    p.add_argument("--sklearn-max-n", type=int, default=None,
                   help="skip scikit-learn above this n (default: rbf 26000, knn 1000000)")
    p.add_argument("--sklearn-memory-limit-gib", type=float, default=16.0,
                   help="address-space limit for scikit-learn (prlimit --as); 0 = none")
    p.add_argument("--timeout-s", type=float, default=3600.0, help="per run")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per tool and size, the tools in turn; wall s is the quickest (and the slowest), fit s "
                        "the quickest, peak RSS the largest (timings on a shared VM vary by tens of percent)")
    p.add_argument("--dataset", choices=["synthetic", "fashion-mnist", "overlapping"], default="synthetic",
                   help="synth.py's far-apart clusters (--d, --classes), or real.py's Fashion-MNIST or overlapping classes")
    p.add_argument("--d", type=int, default=64)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--labeled-fraction", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", type=Path, default=REPO / "bench" / "work")
    p.add_argument("--results", type=Path, default=None,
                   help="markdown file: written, or appended to if it exists "
                        "(the table is printed to stdout in any case)")
    p.add_argument("--json", type=Path, default=None, help="all records, rewritten after each run")
    p.add_argument("--plot", type=Path, default=None, help="PNG: log-log wall time and peak RSS vs n")
    p.add_argument("--python", default=default_python(),
                   help="interpreter with numpy and scikit-learn (default /usr/bin/python3)")
    a = p.parse_args(argv)
    if a.sklearn_max_n is None:
        a.sklearn_max_n = DEFAULT_SKLEARN_MAX_N[a.kernel]
    a.work = a.work.resolve()
    if not os.path.exists(GNU_TIME):
        log(f"warning: {GNU_TIME} (GNU time) is missing: wall times are the harness's own, peak memory is not measured")

    if a.repeat < 1:
        p.error("--repeat must be at least 1")
    if 0 < a.sklearn_memory_limit_gib < 1:
        log("warning: under an address-space limit below about 1 GiB OpenBLAS may fail to get "
            "its work buffers and spin until --timeout-s instead of raising MemoryError")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    started = datetime.datetime.now()
    cmdline = shlex.join([sys.executable, *sys.argv])
    machine = machine_info(a.python)
    log(f"machine: {machine.get('nproc')} cores, {machine.get('cpu_model')}; {blas_summary(machine)}")

    gpus = shlex.split(a.gpuspread) if a.gpuspread else None
    engines = [e.strip() for e in a.engines.split(",") if e.strip()] or [None]
    sk_env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV}
    records = []

    def save_json():
        if a.json:
            a.json.parent.mkdir(parents=True, exist_ok=True)
            tmp = a.json.with_suffix(a.json.suffix + ".tmp")
            tmp.write_text(json.dumps({
                "command": cmdline, "started": started.isoformat(timespec="seconds"),
                "machine": machine,
                "params": {"model": a.model, "kernel": a.kernel, "sizes": a.sizes,
                           "engines": a.engines, "gpuspread": a.gpuspread,
                           "gpuspread_args": a.gpuspread_args, "sklearn_args": a.sklearn_args,
                           "sklearn_max_n": a.sklearn_max_n,
                           "sklearn_memory_limit_gib": a.sklearn_memory_limit_gib,
                           "timeout_s": a.timeout_s, "repeat": a.repeat, "dataset": a.dataset, "d": a.d, "classes": a.classes,
                           "labeled_fraction": a.labeled_fraction, "seed": a.seed},
                "records": records}, indent=2, default=str) + "\n")
            os.replace(tmp, a.json)

    interrupted = False
    try:
        run_all(a, gpus, engines, sk_env, records, save_json)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: reporting the runs finished so far")

    table = markdown(a, machine, cmdline, records, started)
    print(table)
    if a.results:
        a.results.parent.mkdir(parents=True, exist_ok=True)
        exists = a.results.exists() and a.results.stat().st_size > 0
        with open(a.results, "a" if exists else "w") as f:
            f.write(("\n" if exists else "") + table)
        log(f"results {'appended to' if exists else 'written to'} {a.results}")
    if a.json:
        log(f"json written to {a.json}")
    if a.plot:
        a.plot.parent.mkdir(parents=True, exist_ok=True)
        plot(a, records, a.plot, machine)
        log(f"plot written to {a.plot}")
    if interrupted:
        return 130
    # scikit-learn failing (MemoryError, timeout) at large n is an expected outcome;
    # a gpuspread run that is not ok makes the exit status 1.
    return 0 if all(r["status"] == "ok" for r in records if r["tool"] != "sklearn") else 1


if __name__ == "__main__":
    sys.exit(main())
