"""Small helpers shared by the bench scripts: side-by-side timing, tables, BLAS info.

The machine the benchmarks run on is shared and noisy, so every comparison is
timed *interleaved*: each round runs every candidate once (in a rotated order),
and the figures are medians over rounds. Ratios taken from one such run are
meaningful even when absolute times drift.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so that `python bench/x.py` finds the `server` package
    sys.path.insert(0, str(ROOT))


def interleaved(candidates, repeats, warmup=1, warm_each=False):
    """Time each callable of ``candidates`` (name -> fn) in interleaved rounds.

    Returns ``{name: [seconds, ...]}`` with ``repeats`` times per candidate. The
    order within a round rotates so that no candidate always runs first or last.
    ``warm_each``: every timed call follows an untimed call of the same candidate,
    so each is timed with its own data in cache, as in a fit's loop of evaluations,
    whatever the previous candidate allocated (the post's 16 MB ``hstack`` evicts
    the next candidate's arrays from the 2 MB L2 otherwise). A candidate with a
    ``settle`` attribute (seconds) is preceded by that long a pause: see
    :data:`SPIN_SETTLE`.
    """
    names = list(candidates)
    for _ in range(warmup):
        for name in names:
            candidates[name]()
    times = {name: [] for name in names}
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            time.sleep(getattr(candidates[name], "settle", 0.0))
            if warm_each:
                candidates[name]()
            t0 = time.perf_counter()
            candidates[name]()
            times[name].append(time.perf_counter() - t0)
    return times


def floor_eval(X, h, p, unit_major, output_unit_major=None):
    """Return the five bare matrix products of one evaluation on ``X`` (m, n), outputs preallocated.

    Forward ``X @ W1``, ``A1 @ W2``; backward ``D2.T @ A1``, ``D2 @ W2.T``, ``D1.T @ X``.
    ``unit_major`` lays the (m, h) arrays out as (h, m) in memory (Fortran order),
    as the engine does for float64, and ``output_unit_major`` (default: the same) the
    (m, p) ones, as the engine does after a hidden layer in every dtype; the floor of
    a table is the fastest of the layouts in each round: what the hardware does,
    whichever layout the engine picks.
    """
    rng = np.random.default_rng(1)
    (m, n), dtype = X.shape, X.dtype
    order = "F" if unit_major else "C"
    out_major = unit_major if output_unit_major is None else output_unit_major
    W1, W2 = rng.random((n, h)).astype(dtype), rng.random((h, p)).astype(dtype)
    A1 = np.asarray(rng.random((m, h)), dtype=dtype, order=order)
    D2 = np.asarray(rng.random((m, p)), dtype=dtype, order="F" if out_major else "C")
    Z1, D1 = np.empty((m, h), dtype, order=order), np.empty((m, h), dtype, order=order)
    Z2 = np.empty((m, p), dtype, order="F" if out_major else "C")
    G1, G2 = np.empty((h, n), dtype), np.empty((p, h), dtype)

    def run():
        if unit_major:  # C-ordered (h, m) outputs, seen as F-ordered (m, h)
            np.matmul(W1.T, X.T, out=Z1.T)
            np.matmul(W2, D2.T, out=D1.T)
        else:
            np.matmul(X, W1, out=Z1)
            np.matmul(D2, W2.T, out=D1)
        if out_major:
            np.matmul(W2.T, A1.T, out=Z2.T)
        else:
            np.matmul(A1, W2, out=Z2)
        np.matmul(D2.T, A1, out=G2)  # gradients as the engine computes them
        np.matmul(D1.T, X, out=G1)

    run.grads = (G1, G2)
    return run


FLOOR_LAYOUTS = {"row-major": (False, False), "unit-major": (True, True),
                 "mixed": (False, True)}  # (hidden, output) unit-major; mixed: float32's


def floor_candidates(X, h, p, n_threads=1, executor=None):
    """Return ``{"floor <layout> <dtype>": run}``, one for each layout of ``FLOOR_LAYOUTS``;
    with ``n_threads`` > 1 and an ``executor`` of ``n_threads - 1`` threads, also each
    layout on row blocks (:func:`split_floor_eval`), named ``"floor split <layout> <dtype>"``."""
    floors = {f"floor {name} {X.dtype}": floor_eval(X, h, p, *layout)
              for name, layout in FLOOR_LAYOUTS.items()}
    if n_threads > 1 and executor is not None:
        pool = NumpyPool()
        floors.update({f"floor split {name} {X.dtype}":
                       split_floor_eval(X, h, p, *layout, n_threads, executor, pool)
                       for name, layout in FLOOR_LAYOUTS.items()})
    return floors


# OpenBLAS's idle workers spin for about 2**28 cycles (~0.1 s here) after their last
# job before they sleep. A candidate that runs on a one-thread BLAS (the row split)
# timed right after a two-thread candidate shares the cores with a spinning worker:
# 7.7 ms instead of 4.3 ms measured on 5000x400->25->10. A fit sets its pool once, so
# its evaluations never meet a spinning worker after the first tenth of a second;
# such candidates are timed after this pause.
SPIN_SETTLE = 0.3


class NumpyPool:
    """Resize numpy's OpenBLAS pool in microseconds: threadpoolctl's controller, found once.

    ``BlasLimits`` scans the loaded libraries each time (milliseconds); a candidate that
    runs on a one-thread BLAS inside a block timed at N threads switches with this.
    """

    def __init__(self):
        from threadpoolctl import ThreadpoolController

        self.libs = [lib for lib in ThreadpoolController().lib_controllers
                     if "numpy" in os.path.basename(os.path.dirname(lib.filepath))]

    def threads(self):
        return self.libs[0].num_threads if self.libs else 1

    def set(self, n):
        for lib in self.libs:
            lib.set_num_threads(n)


def engine_call(flat, table, X, Y, lam, n_threads, pool=None):
    """Return ``(fn, split)``: one evaluation of ``loss_and_grad``, rows split when they can be.

    With ``n_threads`` > 1 and rows enough, ``fn`` splits the rows over that many
    threads (``server.core.rowsplit``) on a one-thread BLAS, switching numpy's pool to
    one thread for the call (the switch is timed with it), as a full-batch ``fit`` does
    (server/core/estimator.py).
    ``Y`` must be in the output layout. Close ``split`` (when not None) when done.
    """
    from server.core.maths import loss_and_grad
    from server.core.rowsplit import RowSplit

    grad = np.empty_like(flat)
    split = RowSplit.for_fit(X, Y, n_threads)
    if split is None:
        return (lambda: loss_and_grad(flat, table, X, Y, lam, grad_out=grad)), None
    pool = pool or NumpyPool()

    def fn():
        before = pool.threads()
        pool.set(1)
        try:
            return loss_and_grad(flat, table, X, Y, lam, grad_out=grad, split=split)
        finally:
            pool.set(before)

    fn.settle = SPIN_SETTLE
    return fn, split


def split_floor_eval(X, h, p, unit_major, output_unit_major, n_threads, executor, pool):
    """The five products of :func:`floor_eval` on ``n_threads`` row blocks at once, each
    on a one-thread BLAS, plus the sum of the blocks' gradients: the floor of a split
    evaluation (``server.core.rowsplit``)."""
    m = X.shape[0]
    edges = [m * k // n_threads for k in range(n_threads + 1)]
    runs = [floor_eval(X[a:b], h, p, unit_major, output_unit_major)
            for a, b in zip(edges[:-1], edges[1:])]

    def run():
        before = pool.threads()
        pool.set(1)
        try:
            futures = [executor.submit(r) for r in runs[1:]]
            runs[0]()
            for f in futures:
                f.result()
        finally:
            pool.set(before)
        for r in runs[1:]:
            for total, part in zip(runs[0].grads, r.grads):
                total += part

    run.settle = SPIN_SETTLE
    return run


def fastest_floor(times, dtype):
    """Pop the layouts' round times from ``times`` (split ones too, when there); return
    ``(name, round times, per-round minimum)``: the layout with the lowest median, its
    time per round, and the fastest layout's time of each round.

    The floor is the one layout picked (as ``steps.py`` picks it for the fit): the
    minimum of k layouts' times in each round is the least of k noisy draws, lower than
    any one layout runs, which flattered the floor (by
    six layouts: 0.00-0.04x in one run); it is returned for comparison only.
    """
    names = [f"floor {kind}{name} {dtype}" for kind in ("", "split ") for name in FLOOR_LAYOUTS]
    runs = {name: times.pop(name) for name in names if name in times}
    best = min(runs, key=lambda name: median(runs[name]))
    return best, runs[best], [min(r) for r in zip(*runs.values())]


def load_average():
    """Return the 1, 5 and 15 minute load averages as text."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def median(values):
    """Return the median of a non-empty sequence."""
    return statistics.median(values)


def markdown_table(headers, rows):
    """Return a GitHub markdown table as a string; cells are formatted with ``str``."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def blas_summary():
    """Return one line per thread pool loaded in this process (threadpoolctl info)."""
    from threadpoolctl import threadpool_info

    lines = []
    for lib in threadpool_info():
        owner = Path(lib["filepath"]).parent.name
        lines.append(
            f"{lib['internal_api']} {lib.get('version') or ''} ({owner}): "
            f"{lib['num_threads']} threads, kernel {lib.get('architecture', '-')}"
        )
    return lines


def random_problem(m, n, p, dtype="float64", seed=0):
    """Return ``(X (m, n) uniform [0, 1], y (m,) random labels in 0..p-1, Y one-hot)``."""
    rng = np.random.default_rng(seed)
    X = rng.random((m, n)).astype(dtype)
    y = rng.permutation(np.arange(m) % p)
    Y = np.zeros((m, p), dtype=dtype)
    Y[np.arange(m), y] = 1
    return X, y, Y


def fmt_ms(seconds):
    """Return seconds as milliseconds with sensible precision."""
    ms = 1000.0 * seconds
    return f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"
