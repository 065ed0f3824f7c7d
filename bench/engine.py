"""Time one cost+gradient evaluation of the engine against the floor, the post and scikit-learn.

Usage: ``python bench/engine.py [--quick] [--threads 1,all] [--repeats K]``

For each problem size, both dtypes and each BLAS thread count, in one run and
interleaved (every round runs every candidate once, in a rotated order, each timed
call right after an untimed one of the same candidate so that none is timed in the
cache another left behind; the tables give the median over rounds and, separately,
the minimum):

- **engine**: ``server.network.loss_and_grad`` with a preallocated gradient and the
  targets laid out once (``output_layout``), as a fit calls it;
- **floor**: only the five matrix products one evaluation needs (forward ``X@W1``,
  ``h@W2``; backward ``d2.T@h``, ``d2@W2.T``, ``d1.T@X``), same dtype, preallocated
  outputs, in three layouts of the (m, h) and (m, p) arrays (row-major, unit-major,
  and row-major hidden with unit-major outputs, the engine's float32); each
  round's floor is the fastest of the three;
- **post**: ``bench/post_baseline.py``, the post's separate cost and gradient calls
  (float64, as in the post: its ``hstack`` of float64 ones promotes float32 data anyway);
- **sklearn**: ``MLPClassifier(activation="logistic", alpha=lambda)._loss_grad_lbfgs``,
  the function its L-BFGS fit evaluates, on the same data and weights.

Before timing, the post's and scikit-learn's cost and gradient are checked against
the engine's, so that the same quantity is being timed. During the timing, BLAS
threads are limited as ``NeuralNetwork.fit`` limits them (numpy's pool ``N``
threads, every other pool 1); ``all`` (every core) is what ``fit`` uses by default.

The last section times whole L-BFGS-B and TNC fits with the engine's thread
limits and with them disabled (``server.core.blas.BlasLimits`` replaced by a
no-op), to show what two busy OpenBLAS pools cost, and the same number of bare
``loss_and_grad`` calls, to show what the optimizer and bookkeeping add.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

# `python bench/<script>.py` puts bench/ on sys.path; _util puts the repository there.
from _util import (
    blas_summary,
    engine_call,
    fastest_floor,
    floor_candidates,
    fmt_ms,
    interleaved,
    load_average,
    markdown_table,
    median,
    random_problem,
)
from post_baseline import PostNeuralNetwork

import server.core.blas as blas
from server.core.maths import output_layout
from server.network import NeuralNetwork, layer_table, loss_and_grad, unpack

LAMBDA = 1.0
# (label, m, n, hidden, p, repeats)
FULL_CASES = [
    ("5000x400->25->10", 5000, 400, 25, 10, 31),
    ("60000x784->128->10", 60000, 784, 128, 10, 9),
]
QUICK_CASES = [("500x40->16->10", 500, 40, 16, 10, 3)]
TOLERANCE = {"float64": 1e-9, "float32": 1e-3}


def initial_flat(sizes, seed=0):
    """Return flat float64 thetas initialised as the engine does."""
    rng = np.random.default_rng(seed)
    parts = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / (n_in + n_out))
        parts.append(rng.uniform(-bound, bound, size=(n_in + 1, n_out)).ravel())
    return np.concatenate(parts)


def rel_diff(a, b):
    """Return ``|a - b| / |a|`` for scalars or arrays (2-norm)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(a))


# --------------------------------------------------------------------------
# The candidates: each builder returns a zero-argument callable for one evaluation.


def post_eval(flat64, sizes, X, Y):
    """Return the post's evaluation (its two calls) and its (cost, grad) for the check."""
    post = PostNeuralNetwork(tuple(sizes[1:-1]), regularization_parameter=LAMBDA)
    post._thetas_sizes = [(a + 1, b) for a, b in zip(sizes[:-1], sizes[1:])]
    x = flat64.copy()

    def run():
        cost = post._cost(x, X, Y)
        grad = np.asarray(post._gradient(x, X, Y))  # what scipy does with the returned list
        return cost, grad

    return run


def sklearn_eval(flat64, sizes, X, y, Y, dtype):
    """Return scikit-learn's L-BFGS objective at our weights, or raise with a reason."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), activation="logistic",
                        solver="lbfgs", alpha=LAMBDA, max_iter=1, random_state=0)
    # A one-iteration fit on a small slice sets up the private attributes the
    # objective needs (coefs_, intercepts_, _coef_indptr, out_activation_...).
    # One-hot targets make it a multi-label problem: sigmoid outputs and binary
    # cross-entropy summed over them, the engine's cost (softmax otherwise).
    idx = np.concatenate([np.flatnonzero(y == c)[:3] for c in range(Y.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X[idx], Y[idx].astype(np.int64))
    if list(clf.classes_) != list(range(Y.shape[1])) or clf.out_activation_ != "logistic":
        raise RuntimeError(f"unexpected set-up: classes {clf.classes_}, {clf.out_activation_}")
    # Our thetas (row 0 = bias) -> sklearn's packed [W1, W2, ..., b1, b2, ...].
    thetas = unpack(flat64, layer_table(sizes))
    packed = np.concatenate([t[1:].ravel() for t in thetas] + [t[0] for t in thetas])
    packed = packed.astype(dtype)
    n_layers = len(sizes)
    activations = [X] + [None] * (n_layers - 1)
    deltas = [None] * (n_layers - 1)
    coef_grads = [np.empty((a, b), dtype=dtype) for a, b in zip(sizes[:-1], sizes[1:])]
    intercept_grads = [np.empty(b, dtype=dtype) for b in sizes[1:]]
    Ys = Y.astype(dtype)

    def run():
        loss, grad = clf._loss_grad_lbfgs(packed, X, Ys, None, activations, deltas,
                                          coef_grads, intercept_grads)
        return loss, grad

    # Map sklearn's gradient back to our layout for the check.
    def to_ours(grad):
        out, start = [], 0
        w_parts = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            w_parts.append(grad[start:start + a * b].reshape(a, b))
            start += a * b
        for w, b in zip(w_parts, sizes[1:]):
            out.append(np.vstack([grad[start:start + b][None, :], w]).ravel())
            start += b
        return np.concatenate(out)

    return run, to_ours


# --------------------------------------------------------------------------


def ratio(times, stat, a, b):
    """Return candidate ``a``'s time over ``b``'s as text, by ``stat`` ("median" or "min").

    For "median" it is the median of the per-round ratios: within a round the two
    ran seconds apart, so slow drifts in the machine's load cancel out.
    """
    if a not in times or b not in times:
        return "-"
    if stat == "min":
        return f"{min(times[a]) / min(times[b]):.2f}x"
    return f"{median([x / y for x, y in zip(times[a], times[b])]):.2f}x"


def time_case(label, m, n, h, p, repeats, thread_counts, notes):
    """Time every candidate in both dtypes, interleaved in one block per thread count.

    Returns ``{"median": rows, "min": rows}``, one row per thread count and dtype.
    """
    sizes = (n, h, p)
    table = layer_table(sizes)
    flat64 = initial_flat(sizes)
    X64, y, Y64 = random_problem(m, n, p, dtype="float64", seed=0)
    ref_cost, ref_grad, _ = loss_and_grad(flat64, table, X64, Y64, LAMBDA)
    base = {}
    run = post_eval(flat64, sizes, X64, Y64)
    c, g = run()
    notes.append(f"{label}: post's cost and gradient vs the engine's (float64): relative "
                 f"difference {max(rel_diff(ref_cost, c), rel_diff(ref_grad, g)):.1e}")
    base["post"] = run
    data = {}
    for dtype in ("float64", "float32"):
        X, Y = X64.astype(dtype), Y64.astype(dtype)
        flat = flat64.astype(dtype)
        data[dtype] = X, output_layout(Y), flat
        cost, grad, _ = loss_and_grad(flat, table, X, Y, LAMBDA)
        check = f"engine {max(rel_diff(ref_cost, cost), rel_diff(ref_grad, grad)):.1e}"
        try:
            run, to_ours = sklearn_eval(flat64, sizes, X, y, Y, dtype)
            c, g = run()
            d = max(rel_diff(ref_cost, c), rel_diff(ref_grad, to_ours(g)))
            check += f", sklearn {d:.1e}"
            if d > TOLERANCE[dtype]:
                raise RuntimeError(f"cost/gradient differ from the engine's by {d:.1e}")
            base[f"sklearn {dtype}"] = run
        except Exception as e:  # a private API: skip it rather than fail the bench
            notes.append(f"scikit-learn skipped on {label} {dtype}: {type(e).__name__}: {e}")
        notes.append(f"{label} {dtype}: cost and gradient vs the float64 engine: relative "
                     f"difference {check}")
    rows = {"median": [], "min": []}
    for n_threads in thread_counts:
        candidates, splits = dict(base), []
        executor = ThreadPoolExecutor(n_threads - 1) if n_threads > 1 else None
        for dtype, (X, Y, flat) in data.items():
            fn, split = engine_call(flat, table, X, Y, LAMBDA, n_threads)
            if split is not None:
                splits.append(split)
                cost, grad, _ = fn()
                d = max(rel_diff(ref_cost, cost), rel_diff(ref_grad, grad))
                notes.append(f"{label} {dtype}, rows split over {n_threads} threads: relative "
                             f"difference {d:.1e}")
            candidates[f"engine {dtype}"] = fn
            candidates.update(floor_candidates(X, h, p, n_threads, executor))
        with blas.BlasLimits(n_threads):
            times = interleaved(candidates, repeats, warm_each=True)
        for split in splits:
            split.close()
        if executor is not None:
            executor.shutdown()
        for dtype in ("float64", "float32"):  # the floor: the fastest layout, picked once
            layout, times[f"floor {dtype}"], per_round_min = fastest_floor(times, dtype)
            eng = times[f"engine {dtype}"]
            notes.append(
                f"{label} {dtype}, {n_threads} thread(s): the floor's layout is "
                f"{layout.removeprefix('floor ')}; against the fastest layout of each round "
                f"instead (the method before), engine / floor would be "
                f"{median([e / f for e, f in zip(eng, per_round_min)]):.2f}x")
        print(f"  {label}, {n_threads} thread(s): {repeats} rounds of {len(candidates)} "
              "candidates", file=sys.stderr, flush=True)
        for stat, fn in (("median", median), ("min", min)):
            t = {name: fn(v) for name, v in times.items()}
            for dtype in ("float64", "float32"):
                eng, flo, sk = f"engine {dtype}", f"floor {dtype}", f"sklearn {dtype}"
                rows[stat].append([
                    label, dtype, n_threads, fmt_ms(t[eng]), fmt_ms(t[flo]),
                    ratio(times, stat, eng, flo), fmt_ms(t["post"]),
                    ratio(times, stat, "post", eng),
                    fmt_ms(t[sk]) if sk in t else "-", ratio(times, stat, eng, sk),
                ])
    return rows


class _NoLimits:
    """Stands in for ``server.core.blas.BlasLimits``: leaves every pool as it is."""

    def __init__(self, n_threads):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def time_fits(m, n, h, p, iters, repeats, optimizer):
    """Return ``(times, n_fev)``: the round times of "limited", "unlimited" and "evaluations".

    "Its evaluations alone" is ``n_fev`` calls of ``loss_and_grad`` under the same
    limits: what the fit would cost with no optimizer or bookkeeping around it.
    """
    X, y, Y = random_problem(m, n, p, seed=2)

    def fit():
        model = NeuralNetwork(hidden_layers=(h,), regularization_parameter=LAMBDA,
                              max_iter=iters, optimizer=optimizer, random_state=0)
        return model.fit(X, y)

    limits = blas.BlasLimits

    def unlimited():
        blas.BlasLimits = _NoLimits
        try:
            fit()
        finally:
            blas.BlasLimits = limits

    n_fev = fit().n_fev_  # also the warm-up of every path
    sizes = (n, h, p)
    table, flat = layer_table(sizes), initial_flat(sizes)
    n_threads = os.cpu_count() or 1  # what fit does with n_threads=None
    evaluate, split = engine_call(flat, table, X, output_layout(Y), LAMBDA, n_threads)

    def evaluations():
        with limits(n_threads):
            for _ in range(n_fev):
                evaluate()

    times = interleaved({"limited": fit, "unlimited": unlimited, "evaluations": evaluations},
                        repeats, warmup=0)
    if split is not None:
        split.close()
    return times, n_fev


def engine_version():
    """Return the last commit of server/core/ (the engine), and whether the work tree differs."""
    path = Path(blas.__file__).parent
    try:
        git = ["git", "-C", str(path.parent)]
        commit = subprocess.run(git + ["log", "-1", "--format=%h", "--", path.name],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(git + ["diff", "--quiet", "--", path.name]).returncode != 0
    except (OSError, subprocess.CalledProcessError):
        return "version unknown (no git)"
    return f"commit {commit}" + (" plus uncommitted changes" if dirty else "")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run")
    parser.add_argument("--threads", default="1,all",
                        help="numpy BLAS thread counts to time evaluations with, comma-separated "
                             "('all': every core, what fit uses by default); default 1,all")
    parser.add_argument("--repeats", type=int, default=None, help="rounds per case")
    parser.add_argument("--small", action="store_true",
                        help="only 5000x400->25->10 (digits20's default) and no fits: "
                             "the issue-14 targets in about a minute (make bench-engine)")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    thread_counts = sorted({cores if t.strip() == "all" else int(t)
                            for t in args.threads.split(",")})
    cases = QUICK_CASES if args.quick else FULL_CASES[:1] if args.small else FULL_CASES
    start = time.perf_counter()

    print("## Engine benchmark\n")
    print(f"`server/core/`: {engine_version()}; numpy {np.__version__}, {cores} cores; "
          "thread pools at start:")
    for line in blas_summary():
        print(f"- {line}")
    print(f"- load average at start: {load_average()}")
    print("\nEvaluation timing: numpy's BLAS pool limited to the given threads, other pools to "
          f"1 (as in fit); lambda = {LAMBDA}; random uniform [0, 1] inputs, random labels; "
          "interleaved rounds.\n")

    rows, notes = {"median": [], "min": []}, []
    for label, m, n, h, p, repeats in cases:
        case_rows = time_case(label, m, n, h, p, args.repeats or repeats, thread_counts, notes)
        for stat in rows:
            rows[stat] += case_rows[stat]
    headers = ["problem", "dtype", "threads", "engine ms", "floor ms", "engine / floor",
               "post ms (float64)", "post / engine", "sklearn ms", "engine / sklearn"]
    print("Medians (times: median over rounds; ratios: median of the per-round ratios):\n")
    print(markdown_table(headers, rows["median"]))
    print("\nMinimums (the least disturbed round of each candidate):\n")
    print(markdown_table(headers, rows["min"]))
    print()
    for note in notes:
        print(f"- {note}")
    print(f"- load average after the evaluations: {load_average()}")
    if args.small:
        print(f"\nTotal bench time: {time.perf_counter() - start:.0f} s")
        return 0

    if args.quick:
        fit_case, fit_iters, fit_repeats = (500, 40, 16, 10), {"L-BFGS-B": 5, "TNC": 2}, 1
    else:
        # TNC makes ~10 evaluations per iteration: fewer iterations keep the run short.
        fit_case, fit_iters, fit_repeats = (5000, 400, 25, 10), {"L-BFGS-B": 30, "TNC": 10}, 5
    m, n, h, p = fit_case
    print(f"\n### Whole fits: BLAS limits on vs off\n\n{m}x{n}->{h}->{p}, lambda = {LAMBDA}, "
          "float64, `n_threads=None` (numpy's pool: every core, other pools: 1 thread); "
          "limits off = `server.core.blas.BlasLimits` replaced by a no-op, so numpy's and "
          f"scipy's OpenBLAS pools both keep their default threads; medians of {fit_repeats} "
          "interleaved rounds (ratios: medians of per-round ratios).\n")
    fit_rows = []
    for optimizer, iters in fit_iters.items():
        times, fev = time_fits(m, n, h, p, iters, fit_repeats, optimizer)
        t = {name: median(v) for name, v in times.items()}
        fit_rows.append([optimizer, iters, fev, f"{t['limited']:.2f}", f"{t['unlimited']:.2f}",
                         ratio(times, "median", "unlimited", "limited"),
                         f"{t['evaluations']:.2f}",
                         ratio(times, "median", "limited", "evaluations")])
    print(markdown_table(["optimizer", "iterations", "evaluations", "limits on s",
                          "limits off s", "off / on", "evaluations alone s",
                          "fit (on) / evaluations alone"], fit_rows))
    print(f"\nTotal bench time: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
