"""The training set's gradient at a run's newest explained iterations, for `explain`.

The weights themselves live in the run's timeline (:mod:`.history`); this only
keeps what `explain` computes from them that is the same for every input: the
whole training set's gradient, a pass over every training sample. A page explaining
input after input at one iteration pays for it once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

CACHED_ITERATIONS = 2


class FullGradients:
    """``iteration -> FullGradient`` for the newest ``size`` iterations explained."""

    def __init__(self, size: int = CACHED_ITERATIONS):
        self.size = size
        self._items: OrderedDict[int, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, iteration: int, thetas, compute):
        """The gradient at ``iteration``'s ``thetas``: cached, else ``compute()`` kept.

        An entry counts only for the very arrays it was computed from (the timeline
        replaces a run's last iteration by its final weights when it ends).
        """
        with self._lock:
            hit = self._items.get(iteration)
        if hit is not None and all(a is b for a, b in zip(hit[0], thetas)):
            return hit[1]
        full = compute()
        with self._lock:
            self._items.pop(iteration, None)
            self._items[iteration] = (list(thetas), full)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return full
