"""Requests go first: trainings run at a lower CPU priority, and never block a predict."""

from __future__ import annotations

import json
import os
import sys
import threading

import numpy as np
import pytest
from test_training import FakeClient, make_lab, train
from threadpoolctl import threadpool_info

from server import config
from server.threads import (
    MAX_NICE,
    TRAINING_NICE,
    TrainingSlots,
    foreign_threads,
    lower_priority,
)
from server.training import Lab, Session

linux = pytest.mark.skipif(not sys.platform.startswith("linux"),
                           reason="per-thread nice values are Linux's")


def nice_of(tid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, tid)


def with_headroom():
    """Bring the calling (test) thread to nice 0 if allowed (root), so that there is room
    to lower it; skip when the suite runs at a nice value that leaves none."""
    me = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, me, 0)
    except OSError:
        pass
    return nice_of(me)


class Parked:
    """A thread with room below its priority: it runs ``target``, tells its native id
    and the result, and waits until released."""

    def __init__(self, target=None):
        self.tid = self.nice = None
        self.result = None
        self._ready, self._go = threading.Event(), threading.Event()
        self._target = target
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self._ready.wait(10)
        if self.nice > MAX_NICE - 3:
            self.release()
            pytest.skip(f"the tests run at nice {self.nice}: no room below it")

    def _run(self):
        self.tid = threading.get_native_id()
        self.nice = with_headroom()
        if self._target is not None and self.nice <= MAX_NICE - 3:
            self.result = self._target()
        self._ready.set()
        self._go.wait(30)

    def release(self):
        self._go.set()
        self.thread.join(10)


@linux
def test_lower_priority_changes_only_the_threads_named():
    parked = Parked()
    try:
        me = nice_of(threading.get_native_id())
        assert lower_priority([parked.tid], parked.nice + 3) == 1
        assert nice_of(parked.tid) == parked.nice + 3
        assert nice_of(threading.get_native_id()) == me
        assert lower_priority([parked.tid], parked.nice + 1) == 0  # never raises one
        assert nice_of(parked.tid) == parked.nice + 3
    finally:
        parked.release()


@linux
def test_the_foreign_threads_are_the_blas_workers_and_no_python_thread():
    pools = [i for i in threadpool_info() if i["internal_api"] == "openblas"]
    foreign = set(foreign_threads())
    assert not foreign & {t.native_id for t in threading.enumerate()}
    tasks = {int(t) for t in os.listdir("/proc/self/task")}
    assert foreign <= tasks
    # OpenBLAS starts num_threads - 1 workers per library (the caller is the first).
    assert len(foreign) >= sum(p["num_threads"] - 1 for p in pools)


@linux
def test_a_training_that_gets_its_slot_runs_below_the_request_threads():
    slots = TrainingSlots(2, cores=2, nice=3)
    worker = Parked(lambda: slots.acquire(threading.Event()))
    try:
        assert worker.result == 2  # BLAS threads granted, as before
        assert nice_of(worker.tid) == worker.nice + 3
        assert all(nice_of(tid) >= worker.nice + 3 for tid in foreign_threads())
    finally:
        slots.release()
        worker.release()


def test_slots_without_a_nice_value_leave_priorities_alone():
    slots = TrainingSlots(1, cores=1)
    worker = Parked(lambda: slots.acquire(threading.Event()))
    try:
        assert worker.result == 1 and nice_of(worker.tid) == worker.nice
    finally:
        slots.release()
        worker.release()


def test_the_server_lowers_its_trainings_by_default(tmp_path):
    lab = Lab.from_config({**config.DEFAULTS, "MODELS_DIR": str(tmp_path)})
    assert config.DEFAULTS["TRAINING_NICE"] == TRAINING_NICE > 0
    assert lab.slots.nice == TRAINING_NICE


class StuckHistory(list):
    """A run's history whose append blocks: the worker stops inside its iteration
    callback, holding the run's audience lock, until ``go`` is set."""

    def __init__(self):
        super().__init__()
        self.entered, self.go = threading.Event(), threading.Event()

    def append(self, item):
        self.entered.set()
        assert self.go.wait(30)
        super().append(item)


def test_a_predict_is_answered_while_the_training_is_stuck_in_its_callback(tmp_path):
    lab = make_lab(tmp_path)
    client = FakeClient()
    session = Session(client, lab, name="stuck")
    try:
        train(session, run_id="r", max_iter=5, weights_interval_ms=0)
        client.wait_for("iteration", run_id="r")
        run = session.run("r")
        stuck = StuckHistory()
        run.history = stuck
        assert stuck.entered.wait(30), "the worker never reached its next iteration"
        session.receive(json.dumps({"type": "predict", "request_id": 1, "run_id": "r",
                                    "vector": [0.5, 0.5]}))
        reply = client.wait_for("prediction", timeout=5, request_id=1)
        assert np.isclose(sum(reply["probabilities"]), 1.0)
        assert not stuck.go.is_set() and run.thread.is_alive()
        stuck.go.set()
        client.wait_for("done", run_id="r")
    finally:
        session.close()
