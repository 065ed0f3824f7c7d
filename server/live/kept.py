"""The weights of a run's newest iterations, for `explain` and `predict` with `iteration`.

A bounded store: the current iteration and the previous one (enough for the update
the optimizer made); a longer history belongs to the timeline. Each entry caches
the whole training set's gradient once an `explain` has computed it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from .. import protocol
from ..protocol import ProtocolError

KEPT_ITERATIONS = 2


@dataclass
class Kept:
    thetas: list            # copies, (n_in + 1, n_out) float64
    full: object = None     # a core.explain.FullGradient, once computed


class KeptWeights:
    """The newest ``size`` iterations' weights, written by the worker, read by requests."""

    def __init__(self, size: int = KEPT_ITERATIONS):
        self.size = size
        self._items: OrderedDict[int, Kept] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, iteration: int, thetas) -> None:
        """Keep ``thetas`` (already copies) as ``iteration``'s, replacing any earlier entry."""
        with self._lock:
            self._items.pop(iteration, None)
            self._items[iteration] = Kept(thetas)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def iterations(self) -> list[int]:
        with self._lock:
            return sorted(self._items)

    def get(self, iteration: int | None, run_id: str) -> tuple[int, Kept]:
        """``(iteration, Kept)``: the newest when ``iteration`` is None."""
        with self._lock:
            if not self._items:
                raise ProtocolError("no_model", f"run {run_id} has no weights yet", "run_id")
            if iteration is None:
                iteration = max(self._items)
            if iteration not in self._items:
                kept = sorted(self._items)
                raise protocol.invalid(
                    "iteration", f"iteration {iteration} of run {run_id} is not kept; "
                    f"it keeps iterations {kept[0]} to {kept[-1]} (the newest "
                    f"{self.size})")
            return iteration, self._items[iteration]

    def previous(self, iteration: int) -> Kept | None:
        with self._lock:
            return self._items.get(iteration - 1)
