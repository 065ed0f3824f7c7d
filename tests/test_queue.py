"""The training queue: round-robin over sessions, each waiter's place and wait estimate."""

from __future__ import annotations

import threading
import time

from test_training import FakeClient, make_lab, train

from server.threads import Cancelled, TrainingSlots
from server.training import Session


def wait_until(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Waiters:
    """Threads waiting for a slot; records who got one, in order, and what each heard."""

    def __init__(self, slots):
        self.slots, self.order, self.heard, self.threads = slots, [], {}, []
        self.cancel = {}

    def queue(self, name, owner):
        self.heard[name] = []
        self.cancel[name] = threading.Event()

        def work():
            try:
                self.slots.acquire(self.cancel[name], owner=owner, ticket=name,
                                   on_queued=lambda p, w: self.heard[name].append((p, w)))
            except Cancelled:
                return
            self.order.append(name)

        t = threading.Thread(target=work, daemon=True)
        t.start()
        self.threads.append(t)
        wait_until(lambda: self.heard[name])


def test_a_freed_slot_goes_round_robin_over_sessions():
    slots = TrainingSlots(1, cores=1)
    slots.acquire(threading.Event(), owner="teacher", ticket="t")
    w = Waiters(slots)
    for name in ("a1", "a2", "a3"):  # one student queues three runs
        w.queue(name, "a")
    w.queue("b1", "b")  # then another student one
    w.queue("c1", "c")
    assert [p for p, _ in (w.heard[n][-1] for n in ("a1", "a2", "a3", "b1", "c1"))] == [
        1, 4, 5, 2, 3]
    slots.release("t")
    for k in range(1, 6):  # each, once started, ends and frees the slot
        wait_until(lambda k=k: len(w.order) == k)
        slots.release(w.order[-1])
    assert w.order == ["a1", "b1", "c1", "a2", "a3"]
    assert slots.snapshot()["queued"] == 0


def test_places_move_up_and_the_estimate_comes_from_recent_durations():
    slots = TrainingSlots(1, cores=1)
    never = threading.Event()
    assert slots._estimates(1) == [None]  # no training has finished: no estimate yet
    slots.acquire(never, ticket="first")
    time.sleep(0.3)
    slots.release("first")  # one run took 0.3 s
    slots.acquire(never, ticket="now")
    w = Waiters(slots)
    w.queue("x", "a")
    w.queue("y", "b")
    (px, wx), (py, wy) = w.heard["x"][-1], w.heard["y"][-1]
    assert (px, py) == (1, 2)
    assert 0.0 <= wx <= 0.3 and abs(wy - wx - 0.3) < 0.11  # one more run's length
    w.cancel["x"].set()
    wait_until(lambda: w.heard["y"][-1][0] == 1)  # y moved up when x left
    slots.release("now")
    wait_until(lambda: w.order == ["y"])


def test_a_queued_run_hears_its_place_and_wait_over_the_wire(tmp_path):
    one = make_lab(tmp_path, max_running=1)
    sessions = [Session(c, one, name=f"q{i}") for i, c in enumerate(
        [FakeClient(), FakeClient(), FakeClient()])]
    try:
        (s1, s2, s3) = sessions
        c1, c2, c3 = (s.outbox._send for s in sessions)
        train(s1, max_iter=2000, optimizer="gd", delay_ms=10, run_id="long")
        c1.wait_for("started")
        train(s2, max_iter=5, run_id="b")
        queued = c2.wait_for("state", state="queued")
        assert queued["place"] == 1 == queued["position"] and "wait_estimate_s" in queued
        train(s3, max_iter=5, run_id="c")
        assert c3.wait_for("state", state="queued")["place"] == 2
        s2.receive('{"type": "stop", "run_id": "b"}')
        assert c3.wait_for("state", count=2, state="queued")["place"] == 1  # moved up
        s1.receive('{"type": "stop", "run_id": "long"}')
        assert c3.wait_for("done", run_id="c")["reason"] == "max_iter"
    finally:
        for s in sessions:
            s.close()
