#!/usr/bin/python3
"""The numpy prototype that chose `gpuspread active`'s graph-coverage strategy: candidate strategies simulated on one knn graph.

Usage (from the repository root, Debian's /usr/bin/python3):
    /usr/bin/python3 bench/harness/active_strategies_sim.py --data DIR --strategies margin,in2c,random \\
        --starts 0,1,2,3,4 [--picks 0] [--start 20 --rounds 5 --batch 100] > results.jsonl

DIR holds X.npy and y_true.npy (real.py's layout). The knn lists (k 10, exact, the point itself included:
scikit-learn's kneighbors on the training rows) are computed once and cached in bench/work/proto/knn10_<n>.npy,
keyed by the number of rows only (about 3 minutes for Fashion-MNIST on 2 cores). The model is LabelSpreading as
scikit-learn and `gpuspread active --kernel knn --n-neighbors 10` fit it (alpha 0.2, max_iter 30, tol 1e-3, S from
the directed connectivity graph normalised by the column sums without the diagonal); on Fashion-MNIST with 20 labels
it reproduces the CLI's accuracies and picks for entropy round by round. Starting labels: synth.partial_labels(y_true,
classes, START, default_rng(start)); random choices inside a strategy: default_rng(1000 + pick).

Strategies (one JSON line per run: the final accuracy on the unlabeled rows and the curve):
    entropy, margin      scikit-learn's order: rows no label reached first, ties to the lower index
    random               uniformly among the unlabeled rows
    margin-rt            margin, rows no label reached in random order
    ff<F>, kc<F>, kpp<F> among the F x batch smallest margins: farthest-first in feature space from the most
                         uncertain (ff), from the labeled rows (k-center, kc), or k-means++ seeding (kpp)
    <ball><H>[_<P>][c]   greedy coverage: each row worth u = (1 - margin)^P (1 where no label reached; P 1 by default);
                         a pick covers its ball: the rows within H links of it along W + W^T (sym), along W^T (in: the
                         rows that reach it), or along W (out); c: the labeled rows' balls count as covered. The pick
                         is the candidate whose uncovered rows are worth the most. in2c is `--strategy graph-coverage`.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synth  # noqa: E402

K = 10
ALPHA = 0.2


class Problem:
    def __init__(self, data):
        self.data = data
        self.y_true = np.load(os.path.join(data, "y_true.npy"))
        self.classes = int(self.y_true.max()) + 1
        self.n = len(self.y_true)
        self._x = None
        cache = f"bench/work/proto/knn{K}_{self.n}.npy"
        if not os.path.exists(cache):
            from sklearn.neighbors import NearestNeighbors
            os.makedirs(os.path.dirname(cache), exist_ok=True)
            x = self.features()
            np.save(cache, NearestNeighbors(n_neighbors=K).fit(x).kneighbors(x, return_distance=False).astype(np.int32))
        lists = np.load(cache)
        n = self.n
        w = sp.csr_matrix((np.ones(n * K), (np.repeat(np.arange(n), K), lists.ravel())), shape=(n, n))
        w.sum_duplicates()
        w.data[:] = 1
        degree = np.asarray(w.sum(axis=0)).ravel() - w.diagonal()
        degree[degree == 0] = 1
        c = w.tocoo()
        values = c.data / np.sqrt(degree[c.row] * degree[c.col])
        values[c.row == c.col] = 0
        self.w = w
        self.s = sp.csr_matrix((values, (c.row, c.col)), shape=(n, n))
        self.s.eliminate_zeros()
        self._balls = {}

    def features(self):
        if self._x is None:
            self._x = np.load(os.path.join(self.data, "X.npy"))
        return self._x

    def spread(self, labels, max_iter=30, tol=1e-3):
        y = np.zeros((self.n, self.classes))
        known = labels >= 0
        y[np.flatnonzero(known), labels[known]] = 1
        f, clamp, previous = y.copy(), (1 - ALPHA) * y, np.zeros_like(y)
        for _ in range(max_iter):
            if np.abs(f - previous).sum() < tol:
                break
            previous, f = f, ALPHA * (self.s @ f) + clamp
        return f

    def balls(self, hops, kind):
        if (hops, kind) not in self._balls:
            a = {"sym": self.w + self.w.T, "in": self.w.T, "out": self.w}[kind].tocsr().copy()
            a = (a + sp.identity(self.n, format="csr")).tocsr()
            a.data[:] = 1
            b = a
            for _ in range(hops - 1):
                b = (b @ a).tocsr()
                b.data[:] = 1
            self._balls[(hops, kind)] = b
        return self._balls[(hops, kind)]

    def sq_dists(self, a, b):
        x = self.features()
        xa, xb = x[a].astype(np.float64), x[b].astype(np.float64)
        return np.maximum((xa * xa).sum(1)[:, None] + (xb * xb).sum(1)[None, :] - 2 * xa @ xb.T, 0)


def uncertain_order(more_uncertain, reached, candidates, rng):
    """Candidates most uncertain first, rows no label reached first in random order."""
    key = np.where(reached[candidates], more_uncertain[candidates], np.inf)
    return candidates[np.lexsort((rng.random(len(candidates)), -key))]


def farthest_first(problem, pool, batch, start_from=None):
    d_pool = problem.sq_dists(pool, pool)
    if start_from is not None and len(start_from):
        d, chosen = problem.sq_dists(pool, start_from).min(1), []
    else:
        d, chosen = d_pool[0].copy(), [0]
    while len(chosen) < batch:
        j = int(np.argmax(d))
        chosen.append(j)
        d = np.minimum(d, d_pool[j])
    return pool[chosen]


def kmeanspp(problem, pool, batch, rng):
    d_pool = problem.sq_dists(pool, pool)
    d, chosen = d_pool[0].copy(), [0]
    while len(chosen) < batch:
        j = int(rng.choice(len(pool), p=d / d.sum()))
        chosen.append(j)
        d = np.minimum(d, d_pool[j])
    return pool[chosen]


def graph_coverage(problem, worth, labels, batch, hops, kind, cover_labeled):
    b = problem.balls(hops, kind)
    worth = worth.copy()
    worth[labels >= 0] = 0
    covered = np.zeros(problem.n, bool)
    if cover_labeled:
        covered[np.unique(b[np.flatnonzero(labels >= 0)].indices)] = True
        worth[covered] = 0
    score = b @ worth
    score[labels >= 0] = -np.inf
    picked = []
    for _ in range(batch):
        j = int(np.argmax(score))
        picked.append(j)
        ball = b.indices[b.indptr[j]:b.indptr[j + 1]]
        newly = ball[~covered[ball]]
        covered[newly] = True
        delta = np.zeros(problem.n)
        delta[newly] = worth[newly]
        worth[newly] = 0
        score -= b @ delta
        score[j] = -np.inf
    return np.array(picked)


def pick(problem, strategy, labels, f, batch, rng):
    totals = f.sum(1, keepdims=True)
    p = np.divide(f, totals, out=np.zeros_like(f), where=totals > 0)
    reached = totals.ravel() > 0
    candidates = np.flatnonzero(labels < 0)
    top = np.sort(p, 1)
    margin = np.where(reached, top[:, -1] - top[:, -2], -1)
    if strategy == "random":
        return rng.choice(candidates, batch, replace=False)
    if strategy == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            e = -(np.where(p > 0, p * np.log(p), 0)).sum(1)
        e[~reached] = np.inf
        return candidates[np.lexsort((candidates, -e[candidates]))][:batch]
    if strategy == "margin":
        key = np.where(reached[candidates], -margin[candidates], np.inf)
        return candidates[np.lexsort((candidates, -key))][:batch]
    if strategy == "margin-rt":
        return uncertain_order(-margin, reached, candidates, rng)[:batch]
    for prefix in ("kpp", "ff", "kc"):
        if strategy.startswith(prefix) and strategy[len(prefix):].isdigit():
            pool = uncertain_order(-margin, reached, candidates, rng)[:batch * int(strategy[len(prefix):])]
            if prefix == "kpp":
                return kmeanspp(problem, pool, batch, rng)
            return farthest_first(problem, pool, batch, np.flatnonzero(labels >= 0) if prefix == "kc" else None)
    for kind in ("sym", "in", "out"):
        if strategy.startswith(kind):
            body = strategy[len(kind):]
            cover = body.endswith("c")
            hops, _, power = body.rstrip("c").partition("_")
            worth = np.where(reached, 1 - margin, 1.0) ** float(power or 1)
            return graph_coverage(problem, worth, labels, batch, int(hops), kind, cover)
    raise SystemExit(f"active_strategies_sim: unknown strategy {strategy}")


def run(problem, strategy, start, pick_seed, start_labels, rounds, batch):
    labels = synth.partial_labels(problem.y_true, problem.classes, start_labels, np.random.default_rng(start))
    rng = np.random.default_rng(1000 + pick_seed)
    curve = []
    for r in range(rounds + 1):
        f = problem.spread(labels)
        unlabeled = labels < 0
        curve.append((int((~unlabeled).sum()), float((f.argmax(1)[unlabeled] == problem.y_true[unlabeled]).mean())))
        if r == rounds:
            break
        picked = pick(problem, strategy, labels, f, batch, rng)
        assert len(np.unique(picked)) == batch and (labels[picked] < 0).all(), strategy
        labels[picked] = problem.y_true[picked]
    return curve


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--strategies", required=True)
    p.add_argument("--starts", default="0")
    p.add_argument("--picks", default="0")
    p.add_argument("--start", type=int, default=20)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batch", type=int, default=100)
    a = p.parse_args(argv)
    problem = Problem(a.data)
    for strategy in a.strategies.split(","):
        for start in (int(s) for s in a.starts.split(",")):
            for pick_seed in (int(s) for s in a.picks.split(",")):
                started = time.time()
                curve = run(problem, strategy, start, pick_seed, a.start, a.rounds, a.batch)
                print(json.dumps({"strategy": strategy, "start": start, "pick": pick_seed, "final": curve[-1][1], "curve": curve,
                                  "seconds": round(time.time() - started, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
