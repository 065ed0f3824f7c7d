"""Small helpers shared by the bench scripts: side-by-side timing, tables, BLAS info.

The machine the benchmarks run on is shared and noisy, so every comparison is
timed *interleaved*: each round runs every candidate once (in a rotated order),
and the figures are medians over rounds. Ratios taken from one such run are
meaningful even when absolute times drift.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so that `python bench/x.py` finds the `server` package
    sys.path.insert(0, str(ROOT))


def interleaved(candidates, repeats, warmup=1):
    """Time each callable of ``candidates`` (name -> fn) in interleaved rounds.

    Returns ``{name: [seconds, ...]}`` with ``repeats`` times per candidate. The
    order within a round rotates so that no candidate always runs first or last.
    """
    names = list(candidates)
    for _ in range(warmup):
        for name in names:
            candidates[name]()
    times = {name: [] for name in names}
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            t0 = time.perf_counter()
            candidates[name]()
            times[name].append(time.perf_counter() - t0)
    return times


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
