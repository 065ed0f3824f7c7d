"""Share the cores among concurrent trainings.

Two things are rationed here: how many trainings run at once (the rest wait in a
queue, or are refused when the queue is full or the policy says so), and how many
BLAS threads each running training may use. Measured on the 2-core machine while
another process kept both cores busy: the same matrix products took 16 ms with 2
BLAS threads and 6 ms with 1, so oversubscribing is much worse than idling a core.
A training asks for ``max(1, cores // running)`` threads when it starts and hands
that to ``NeuralNetwork(n_threads=...)``.

A third thing is who goes first when both cores are taken: a training's worker
thread, and the BLAS pools' worker threads, run ``TRAINING_NICE`` nice steps below
the threads that answer requests (a lower CPU priority). A training still
gets every core nobody else wants, but a predict or a health check no longer
waits for a time slice behind two trainings (measured in docs/reliability.md).
Linux gives each thread its own nice value; elsewhere this does nothing.
"""

from __future__ import annotations

import collections
import heapq
import os
import sys
import threading
import time

# Nice steps below the requests: 19 is the lowest priority there is (a nice-19 thread
# weighs 15 against a nice-0 one's 1024). Measured with 30 clients drawing while two
# trainings ran (docs/reliability.md): socket predict p95 130 and 53 ms at 19, 155 and
# 121 ms at 10, 139 and 171 ms unchanged, in interleaved runs on the loaded machine.
TRAINING_NICE = 19
MAX_NICE = 19


def available_cores() -> int:
    """Cores this process may use (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def lower_priority(native_ids, nice: int) -> int:
    """Raise the nice value of these threads (Linux thread ids) to at least ``nice``.

    Only ever lowers a priority (which needs no privilege); return how many threads
    changed. A thread that has ended is skipped.
    """
    if not sys.platform.startswith("linux"):
        return 0
    changed = 0
    for tid in native_ids:
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
                changed += 1
        except OSError:  # gone, or not ours to change
            pass
    return changed


def foreign_threads() -> list[int]:
    """Thread ids of this process that Python did not start: the BLAS pools' workers.

    OpenBLAS starts its workers when numpy (and scipy, which carries its own)
    is imported; they are the only threads of the server not known to
    ``threading``. A Python thread caught starting (no native id yet) could be
    mistaken for one, so the listing is retried until none is starting.
    """
    if not sys.platform.startswith("linux"):
        return []
    for _ in range(10):
        tasks = {int(t) for t in os.listdir("/proc/self/task")}
        known = {t.native_id for t in threading.enumerate()}
        if None not in known:
            return sorted(tasks - known - {os.getpid()})
        time.sleep(0.001)
    return []


def lower_training_thread(steps: int = TRAINING_NICE) -> int:
    """Lower the calling thread (a training's worker) and the BLAS workers ``steps`` nice
    values below the caller's own (at most to 19); return the nice value aimed at.

    The worker was started by a thread that answers requests and inherited its nice
    value, so the trainings end up ``steps`` below the requests whatever nice the
    server itself was started with.
    """
    if steps <= 0 or not sys.platform.startswith("linux"):
        return 0
    me = threading.get_native_id()
    nice = min(MAX_NICE, os.getpriority(os.PRIO_PROCESS, me) + steps)
    lower_priority([me, *foreign_threads()], nice)
    return nice


class Busy(Exception):
    """No training slot now, and the policy (or a full queue) says don't wait."""


class Cancelled(Exception):
    """The waiting training was cancelled before it got a slot."""


class _Waiter:
    __slots__ = ("owner", "notify", "granted", "shown")

    def __init__(self, owner, notify):
        self.owner, self.notify = owner, notify
        self.granted = False
        self.shown = None  # the (place, wait) last reported


class TrainingSlots:
    """At most ``max_running`` trainings at once; at most ``max_queued`` waiting.

    ``policy`` is ``"queue"`` (wait for a slot) or ``"refuse"`` (raise Busy at once).
    The queue is fair: a freed slot goes round-robin over the owners (sessions) that
    wait, each owner's trainings first come first served, so one connection cannot
    queue many runs ahead of the others. Every waiter hears its place and an estimate
    of its wait (from the last ``RECENT`` trainings' durations) whenever they change.
    """

    RECENT = 8  # trainings whose durations make the estimate

    def __init__(self, max_running: int, max_queued: int = 64, policy: str = "queue",
                 cores: int | None = None, nice: int = 0):
        if policy not in ("queue", "refuse"):
            raise ValueError(f"policy={policy!r}: allowed 'queue' or 'refuse'")
        if max_running < 1:
            raise ValueError(f"max_running={max_running}: must be >= 1")
        self.max_running = max_running
        self.max_queued = max_queued
        self.policy = policy
        self.cores = cores or available_cores()
        self.nice = nice  # nice steps the trainings run below requests; 0: as they are
        self.running = 0
        self._queues: dict = {}          # owner -> deque of _Waiter, in round-robin order
        self._since: dict = {}           # ticket -> monotonic start of a running training
        self._durations = collections.deque(maxlen=self.RECENT)
        self._cond = threading.Condition()

    @property
    def queued(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def threads_per_training(self, running: int | None = None) -> int:
        running = self.running if running is None else running
        return max(1, self.cores // max(1, running))

    def acquire(self, cancelled: threading.Event, on_queued=None, owner=None,
                ticket=None) -> int:
        """Wait for a slot; return the BLAS threads this training may use.

        ``on_queued(place, wait_estimate_s)`` is called when the training has to wait
        and again whenever its place or estimate changes (under the slots' lock: it
        must not block). ``owner`` groups the trainings of one session for the
        round-robin; ``ticket`` names this training for ``release``. The caller is the
        training's worker thread: once it has its slot, it and the BLAS workers are
        lowered ``nice`` steps (requests go first; see ``lower_training_thread``).
        """
        with self._cond:
            if self.running >= self.max_running or self.queued:
                if self.policy == "refuse" or self.queued >= self.max_queued:
                    raise Busy(f"{self.running} trainings are running and "
                               f"{self.queued} are waiting; try again later")
                waiter = _Waiter(owner if owner is not None else object(), on_queued)
                self._queues.setdefault(waiter.owner, collections.deque()).append(waiter)
                self._grant()
                self._tell()
                try:
                    while not waiter.granted and not cancelled.is_set():
                        self._cond.wait(0.25)
                finally:
                    if not waiter.granted:
                        self._remove(waiter)
                        self._grant()
                        self._tell()
                if not waiter.granted:
                    raise Cancelled()
            else:
                self.running += 1
            if ticket is not None:
                self._since[ticket] = time.monotonic()
            threads = self.threads_per_training()
        lower_training_thread(self.nice)
        return threads

    def release(self, ticket=None) -> None:
        with self._cond:
            since = self._since.pop(ticket, None)
            if since is not None:
                self._durations.append(time.monotonic() - since)
            self.running -= 1
            self._grant()
            self._tell()
            self._cond.notify_all()

    # -- the queue, under the lock ---------------------------------------------------

    def _remove(self, waiter):
        queue = self._queues.get(waiter.owner)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            if not queue:
                del self._queues[waiter.owner]

    def _grant(self):
        """Hand free slots round-robin: the first owner's oldest, then that owner goes last."""
        while self.running < self.max_running and self._queues:
            owner = next(iter(self._queues))
            queue = self._queues.pop(owner)
            waiter = queue.popleft()
            if queue:
                self._queues[owner] = queue  # to the back of the round
            waiter.granted = True
            self.running += 1
            self._cond.notify_all()

    def order(self) -> list:
        """The waiters in the order they will get a slot (round-robin over owners)."""
        queues = list(self._queues.values())
        depth = max((len(q) for q in queues), default=0)
        return [q[i] for i in range(depth) for q in queues if i < len(q)]

    def _estimates(self, n) -> list:
        """Seconds until each of the next ``n`` waiters starts, or None without data."""
        if not self._durations:
            return [None] * n
        mean = sum(self._durations) / len(self._durations)
        now = time.monotonic()
        free = [max(0.0, since + mean - now) for since in self._since.values()]
        free += [0.0] * max(0, self.max_running - len(free))
        heapq.heapify(free)
        out = []
        for _ in range(n):
            t = heapq.heappop(free)
            out.append(round(t, 1))
            heapq.heappush(free, t + mean)
        return out

    def _tell(self):
        order = self.order()
        for place, (waiter, wait) in enumerate(zip(order, self._estimates(len(order))), 1):
            shown = (place, wait)
            if waiter.notify is not None and shown != waiter.shown:
                waiter.shown = shown
                waiter.notify(place, wait)

    def snapshot(self) -> dict:
        with self._cond:
            return {"running": self.running, "queued": self.queued,
                    "max_running": self.max_running, "cores": self.cores,
                    "policy": self.policy}
