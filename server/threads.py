"""Share the cores among concurrent trainings.

Two things are rationed here: how many trainings run at once (the rest wait in a
queue, or are refused when the queue is full or the policy says so), and how many
BLAS threads each running training may use. Measured on the 2-core machine while
another process kept both cores busy: the same matrix products took 16 ms with 2
BLAS threads and 6 ms with 1, so oversubscribing is much worse than idling a core.
A training asks for ``max(1, cores // running)`` threads when it starts and hands
that to ``NeuralNetwork(n_threads=...)``.
"""

from __future__ import annotations

import os
import threading


def available_cores() -> int:
    """Cores this process may use (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Busy(Exception):
    """No training slot now, and the policy (or a full queue) says don't wait."""


class Cancelled(Exception):
    """The waiting training was cancelled before it got a slot."""


class TrainingSlots:
    """At most ``max_running`` trainings at once; at most ``max_queued`` waiting.

    ``policy`` is ``"queue"`` (wait for a slot) or ``"refuse"`` (raise Busy at once).
    """

    def __init__(self, max_running: int, max_queued: int = 64, policy: str = "queue",
                 cores: int | None = None):
        if policy not in ("queue", "refuse"):
            raise ValueError(f"policy={policy!r}: allowed 'queue' or 'refuse'")
        if max_running < 1:
            raise ValueError(f"max_running={max_running}: must be >= 1")
        self.max_running = max_running
        self.max_queued = max_queued
        self.policy = policy
        self.cores = cores or available_cores()
        self.running = 0
        self.queued = 0
        self._cond = threading.Condition()

    def threads_per_training(self, running: int | None = None) -> int:
        running = self.running if running is None else running
        return max(1, self.cores // max(1, running))

    def acquire(self, cancelled: threading.Event, on_queued=None) -> int:
        """Wait for a slot; return the BLAS threads this training may use.

        ``on_queued(position)`` is called once if the training has to wait.
        """
        with self._cond:
            if self.running >= self.max_running:
                if self.policy == "refuse" or self.queued >= self.max_queued:
                    raise Busy(f"{self.running} trainings are running and "
                               f"{self.queued} are waiting; try again later")
                self.queued += 1
                if on_queued:
                    on_queued(self.queued)
                try:
                    while self.running >= self.max_running and not cancelled.is_set():
                        self._cond.wait(0.25)
                finally:
                    self.queued -= 1
                if cancelled.is_set():
                    self._cond.notify_all()
                    raise Cancelled()
            self.running += 1
            return self.threads_per_training()

    def release(self) -> None:
        with self._cond:
            self.running -= 1
            self._cond.notify_all()

    def snapshot(self) -> dict:
        with self._cond:
            return {"running": self.running, "queued": self.queued,
                    "max_running": self.max_running, "cores": self.cores,
                    "policy": self.policy}
