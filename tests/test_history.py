"""The timeline: every iteration's weights within a budget, then every 2^k-th; served back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_training import FakeClient, make_lab

from server.live.history import HistoryPool, Timeline
from server.training import Session

SHAPES = [(3, 4), (5, 2)]           # 22 float32 = 88 bytes an iteration
ITERATION_BYTES = 4 * sum(a * b for a, b in SHAPES)


def thetas_of(i):
    return [np.full(shape, float(i)) for shape in SHAPES]


def fill(timeline, iterations):
    for i in iterations:
        timeline.add(i, thetas_of(i))


def test_every_iteration_is_kept_while_the_budget_allows():
    timeline = Timeline(budget_bytes=100 * ITERATION_BYTES)
    fill(timeline, range(1, 101))
    assert timeline.kept() == list(range(1, 101)) and timeline.stride == 1
    assert timeline.nbytes == 100 * ITERATION_BYTES
    at = timeline.weights_at(37)
    assert [t.dtype for t in at] == [np.float32] * 2 and at[1][0, 0] == 37.0
    with pytest.raises(ValueError):
        at[0][0, 0] = 1.0  # read-only: the store is shared with every reader


@pytest.mark.parametrize("n_iter", [101, 333, 1000, 4097])
def test_beyond_the_budget_the_stride_doubles_keeping_first_and_latest(n_iter):
    capacity = 100
    timeline = Timeline(budget_bytes=capacity * ITERATION_BYTES)
    for i in range(1, n_iter + 1):
        timeline.add(i, thetas_of(i))
        assert timeline.nbytes <= capacity * ITERATION_BYTES  # after every add
    kept, k = timeline.kept(), timeline.stride
    assert kept[0] == 1 and kept[-1] == n_iter
    assert kept[1:-1] == list(range(k, n_iter, k))[:len(kept) - 2]
    assert set(kept) == {1, n_iter} | set(range(k, n_iter + 1, k))
    assert k & (k - 1) == 0  # a power of two ...
    assert n_iter // (k // 2) + 2 > capacity  # ... the smallest that fits
    for i in kept:
        assert timeline.weights_at(i)[0][0, 0] == i  # the right weights for each


def test_the_latest_replaces_itself_and_iterations_may_not_go_back():
    timeline = Timeline()
    fill(timeline, [1, 2, 3])
    final = [t + 0.5 for t in thetas_of(3)]
    timeline.add(3, final)
    assert timeline.kept() == [1, 2, 3] and timeline.weights_at(3)[0][0, 0] == 3.5
    with pytest.raises(ValueError, match="before the latest"):
        timeline.add(2, thetas_of(2))


def test_nearest_serves_the_kept_iteration_at_or_before():
    timeline = Timeline(budget_bytes=10 * ITERATION_BYTES)
    fill(timeline, range(1, 41))
    kept = timeline.kept()
    assert 5 not in kept and timeline.nearest(5) == max(i for i in kept if i <= 5)
    assert timeline.nearest(0) == 1 and timeline.nearest(10**6) == 40
    assert Timeline().nearest(3) is None


def test_the_server_budget_thins_the_oldest_finished_run_first():
    pool = HistoryPool(budget_bytes=150 * ITERATION_BYTES, run_budget_bytes=100 * ITERATION_BYTES)
    old, older_running, new = pool.timeline(), pool.timeline(), pool.timeline()
    fill(old, range(1, 61))
    old.finish()
    fill(older_running, range(1, 41))
    assert pool.nbytes == 100 * ITERATION_BYTES
    fill(new, range(1, 61))
    assert pool.nbytes <= 150 * ITERATION_BYTES
    assert older_running.kept() == list(range(1, 41))  # running: untouched
    assert new.kept() == list(range(1, 61))
    assert old.stride > 1 and old.kept()[0] == 1 and old.kept()[-1] == 60
    pool.release(old)
    assert pool.nbytes == 100 * ITERATION_BYTES and old.kept() == []


def test_when_finished_runs_are_thin_the_oldest_running_one_gives_way():
    pool = HistoryPool(budget_bytes=50 * ITERATION_BYTES, run_budget_bytes=100 * ITERATION_BYTES)
    first, second = pool.timeline(), pool.timeline()
    fill(first, range(1, 41))
    fill(second, range(1, 41))
    assert pool.nbytes <= 50 * ITERATION_BYTES
    assert first.stride > 1 and second.kept() == list(range(1, 41))


# -- through a session -----------------------------------------------------------------


@pytest.fixture
def session(tmp_path):
    client = FakeClient()
    session = Session(client, make_lab(tmp_path), name="history")
    session.client = client
    yield session
    session.close()


def test_weights_at_returns_exactly_the_weights_frame_of_that_iteration(session):
    client = session.client
    session.receive(json.dumps({"type": "train", "dataset": "xor", "hidden_layers": [4],
                                "max_iter": 12, "random_state": 0, "run_id": "r1",
                                "weights_interval_ms": 0, "optimizer": "gd",
                                "delay_ms": 10}))
    done = client.wait_for("done")
    assert done["n_fev_equiv"] == done["n_iter"]  # gd: one full-batch equivalent an epoch
    assert done["cpu_time"] > 0
    live = {w["iteration"]: w for w in client.of("weights")}
    live_iterations = {m["iteration"]: m for m in client.of("iteration")}
    assert 5 in live  # weights_interval_ms 0, and 10 ms apart: no coalescing
    session.receive(json.dumps({"type": "weights_at", "run_id": "r1", "iteration": 5,
                                "request_id": "t5"}))
    reply = client.wait_for("weights", request_id="t5")
    assert reply["iteration"] == 5
    for got, want in zip(reply["thetas"], live[5]["thetas"]):
        np.testing.assert_array_equal(got, want)  # bit for bit
    assert reply["probe_activations"] == live_iterations[5]["probe_activations"]

    session.receive(json.dumps({"type": "history", "run_id": "r1", "request_id": 1}))
    history = client.wait_for("history")
    metrics = history["metrics"]
    assert metrics["iteration"] == list(range(0, 13)) and history["kept"] == metrics["iteration"]
    assert history["finished"] and history["stride"] == 1
    assert metrics["cost"] == [m["cost"] for m in session.run("r1").history]
    assert metrics["cpu_time"] == sorted(metrics["cpu_time"])


def test_predict_at_an_old_iteration_uses_that_iterations_weights(session):
    client = session.client
    session.receive(json.dumps({"type": "train", "dataset": "xor", "hidden_layers": [4],
                                "max_iter": 30, "random_state": 0, "run_id": "r1",
                                "weights_interval_ms": 0, "delay_ms": 5}))
    n_iter = client.wait_for("done")["n_iter"]
    weights = {w["iteration"]: w["thetas"] for w in client.of("weights")}
    x = [0.2, 0.9]
    for it in (1, 3, None):
        msg = {"type": "predict", "run_id": "r1", "vector": x, "request_id": str(it)}
        if it is not None:
            msg["iteration"] = it
        session.receive(json.dumps(msg))
        reply = client.wait_for("prediction", request_id=str(it))
        thetas = weights[it] if it is not None else session.run("r1").model.thetas
        a = np.array([1.0, *x])
        for t in thetas:
            a = np.concatenate([[1.0], 1 / (1 + np.exp(-(a @ np.asarray(t, np.float64))))])
        np.testing.assert_allclose(reply["outputs"], a[1:], atol=2e-6)
        assert reply["iteration"] == (it if it is not None else n_iter)
    assert weights[1][0].tolist() != weights[3][0].tolist()


def test_history_of_an_unknown_run_names_the_field(session):
    session.receive(json.dumps({"type": "weights_at", "run_id": "nope", "iteration": 1}))
    error = session.client.wait_for("error")
    assert error["code"] == "invalid_field" and error["field"] == "run_id"
    session.receive(json.dumps({"type": "weights_at", "run_id": "nope"}))
    assert session.client.wait_for("error", count=2)["field"] == "iteration"
