"""The timeline store: a run's weights at every iteration, within a memory budget.

Every run has one :class:`Timeline`; it is *the* store of old weights that the
page's timeline (`history`, `weights_at`), ``predict`` with an ``iteration`` and
saved runs read. The weights are kept as float32: exactly the numbers the page
received in the run's binary `weights` frames (which are float32), at half the
memory of float64 (a 784-128-10 network is 0.41 MB an iteration instead of 0.81).

The rule, per run (``HISTORY_BYTES_PER_RUN``, default 64 MB): every iteration is
kept while the run fits in its budget. When it no longer does, the *stride*
doubles and only the iterations that are multiples of it stay; the first and the
latest iteration are always kept, whatever the budget. So a run keeps iterations
``{first} ∪ {i : i % 2**k == 0} ∪ {latest}`` for the smallest ``k`` that fits.

Over the whole server (``HISTORY_BYTES_PER_SERVER``, default 512 MB) a
:class:`HistoryPool` adds the bytes up; past its budget it thins the oldest
finished runs first (doubling their stride down to first and latest), then the
oldest running ones.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

MB = 1024 * 1024
DEFAULT_BYTES_PER_RUN = 64 * MB
DEFAULT_BYTES_PER_SERVER = 512 * MB


def _frozen(a, dtype=np.float32):
    out = np.array(a, dtype=dtype)
    out.flags.writeable = False
    return out


class Kept(NamedTuple):
    """A kept iteration's weights and the kept iteration before it (None for the first)."""

    iteration: int
    thetas: list            # read-only float32, (n_in + 1, n_out) per layer
    probe: list | None      # the probe's activations streamed with it, if recorded
    previous: int | None
    previous_thetas: list | None


class Timeline:
    """Kept weights (float32) of one run: every iteration up to a budget, then every 2^k-th."""

    def __init__(self, budget_bytes: int = DEFAULT_BYTES_PER_RUN, pool=None):
        self.budget = int(budget_bytes)
        self.pool = pool
        self.stride = 1
        self.first = None
        self.latest = None
        self.nbytes = 0
        self.finished = False
        self._kept: dict[int, tuple] = {}   # iteration -> (thetas, probe activations)
        self._lock = threading.Lock()

    # -- writing -----------------------------------------------------------------

    def add(self, iteration: int, thetas, probe=None) -> None:
        """Keep the weights of ``iteration`` (and the probe's activations, if given).

        Iterations must not decrease; giving the latest one again replaces it (a
        run's final weights may differ from its last iteration's).
        """
        entry = ([_frozen(t) for t in thetas],
                 None if probe is None else [_frozen(a) for a in probe])
        size = sum(a.nbytes for part in entry if part is not None for a in part)
        with self._lock:
            before = self.nbytes
            if self.latest is not None and iteration < self.latest:
                raise ValueError(f"iteration {iteration} comes before the latest kept "
                                 f"one ({self.latest})")
            if self.first is None:
                self.first = iteration
            previous = self.latest
            self._drop(iteration)
            self.latest = iteration
            if previous is not None and previous != iteration and not self._keeps(previous):
                self._drop(previous)
            self._kept[iteration] = (entry, size)
            self.nbytes += size
            while self.nbytes > self.budget and len(self._kept) > 2:
                self._thin_locked()
            grown = self.nbytes - before
        if self.pool is not None and grown > 0:
            self.pool.grew(self)

    def finish(self) -> None:
        self.finished = True

    def _keeps(self, i) -> bool:
        return i == self.first or i == self.latest or i % self.stride == 0

    def _drop(self, i) -> None:
        kept = self._kept.pop(i, None)
        if kept is not None:
            self.nbytes -= kept[1]

    def _thin_locked(self) -> None:
        self.stride *= 2
        for i in [i for i in self._kept if not self._keeps(i)]:
            self._drop(i)

    def thin(self) -> int:
        """Double the stride until something goes (unless only first and latest are left).

        Return the bytes freed (0 when only the first and the latest are kept).
        """
        with self._lock:
            before = self.nbytes
            while len(self._kept) > 2 and self.nbytes == before:
                self._thin_locked()
            return before - self.nbytes

    def clear(self) -> None:
        """Forget everything (the run is gone)."""
        with self._lock:
            self._kept.clear()
            self.nbytes = 0

    # -- reading -----------------------------------------------------------------

    def kept(self) -> list[int]:
        """The iterations whose weights are kept, ascending."""
        with self._lock:
            return sorted(self._kept)

    def nearest(self, iteration: int) -> int | None:
        """The kept iteration at or before ``iteration`` (else the first kept one)."""
        kept = self.kept()
        if not kept:
            return None
        before = [i for i in kept if i <= iteration]
        return before[-1] if before else kept[0]

    def span(self) -> tuple[int, int, int] | None:
        """``(first, latest, stride)`` of the kept iterations; None when none is kept."""
        with self._lock:
            if not self._kept:
                return None
            return min(self._kept), max(self._kept), self.stride

    def at_or_before(self, iteration: int) -> Kept:
        """The kept iteration at or before ``iteration`` with the one before it, read at once.

        KeyError when none is kept at or before ``iteration``.
        """
        with self._lock:
            before = sorted(i for i in self._kept if i <= iteration)
            if not before:
                raise KeyError(iteration)
            (thetas, probe), _ = self._kept[before[-1]]
            previous = before[-2] if len(before) > 1 else None
            return Kept(before[-1], list(thetas), probe, previous,
                        None if previous is None else list(self._kept[previous][0][0]))

    def weights_at(self, iteration: int) -> list[np.ndarray]:
        """The run's weights at ``iteration`` (read-only float32); KeyError if not kept."""
        with self._lock:
            return list(self._kept[iteration][0][0])

    def stacked(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """``(iterations (k,), [per layer (k, n_in + 1, n_out) float32])``: for saving."""
        with self._lock:
            order = sorted(self._kept)
            layers = zip(*(self._kept[i][0][0] for i in order)) if order else []
            return (np.array(order, dtype=np.int64),
                    [np.stack(layer) for layer in layers])

    def summary(self) -> dict:
        with self._lock:
            return {"kept": sorted(self._kept), "stride": self.stride, "bytes": self.nbytes,
                    "budget_bytes": self.budget}


class HistoryPool:
    """Every run's timeline, within one server-wide byte budget."""

    def __init__(self, budget_bytes: int = DEFAULT_BYTES_PER_SERVER,
                 run_budget_bytes: int = DEFAULT_BYTES_PER_RUN):
        self.budget = int(budget_bytes)
        self.run_budget = int(run_budget_bytes)
        self._timelines: list[Timeline] = []   # oldest first
        self._lock = threading.Lock()

    def timeline(self) -> Timeline:
        """A new, registered timeline with the per-run budget."""
        timeline = Timeline(self.run_budget, self)
        with self._lock:
            self._timelines.append(timeline)
        return timeline

    def release(self, timeline: Timeline) -> None:
        """The run is gone: forget its weights."""
        timeline.clear()
        with self._lock:
            if timeline in self._timelines:
                self._timelines.remove(timeline)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(t.nbytes for t in self._timelines)

    def grew(self, grown: Timeline) -> None:
        """Thin timelines, oldest finished first, until the pool fits its budget."""
        with self._lock:
            total = sum(t.nbytes for t in self._timelines)
            if total <= self.budget:
                return
            order = ([t for t in self._timelines if t.finished]
                     + [t for t in self._timelines if not t.finished])
            for timeline in order:
                while total > self.budget:
                    freed = timeline.thin()
                    if not freed:
                        break
                    total -= freed
                if total <= self.budget:
                    return
