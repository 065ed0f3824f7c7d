"""The optimizer race: same initial weights, one training slot, CPU-timed contenders."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from test_training import FakeClient, make_lab

from server import protocol
from server.core.optimizers import full_batch_evaluations
from server.protocol import Limits
from server.training import Session


@pytest.fixture
def session(tmp_path):
    client = FakeClient()
    session = Session(client, make_lab(tmp_path, max_running=4), name="race")
    session.client = client
    yield session
    session.close()


def race(session, **fields):
    session.receive(json.dumps({"type": "race", "dataset": "xor", "hidden_layers": [4],
                                "random_state": 3, **fields}))


def test_contenders_start_from_the_same_weights_and_each_stays_inspectable(session):
    client = session.client
    race(session, optimizers=["TNC", "L-BFGS-B", "adam"], max_iter=15, race_id="r")
    started = client.wait_for("race_started")
    done = client.wait_for("race_done", timeout=120)
    ids = [c["run_id"] for c in started["contenders"]]
    assert [c["optimizer"] for c in started["contenders"]] == ["TNC", "L-BFGS-B", "adam"]
    assert [row["run_id"] for row in done["results"]] == ids
    runs = [session.run(i) for i in ids]
    first = runs[0].timeline.weights_at(0)
    for run in runs[1:]:
        for a, b in zip(first, run.timeline.weights_at(0)):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
        for a, b in zip(runs[0].initial_thetas, run.initial_thetas):  # the float64 ones
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert done["same_start"] == 0.0
    zero_costs = [run.history[0]["cost"] for run in runs]
    assert [run.history[0]["iteration"] for run in runs] == [0, 0, 0]
    assert max(zero_costs) - min(zero_costs) <= 1e-12  # the curves start together
    for row in done["results"]:
        assert row["reason"] == "max_iter" and row["n_iter"] == 15
        assert row["cpu_time"] > 0 and row["n_fev"] > 0
        assert row["test_cost"] > 0 and 0 <= row["test_accuracy"] <= 1
        assert {client.wait_for("started", run_id=row["run_id"])["race_id"]} == {"r"}
    adam = done["results"][2]
    assert adam["n_fev_equiv"] == 15.0 and adam["n_fev"] > 15  # epochs, not mini-batches
    session.receive(json.dumps({"type": "predict", "run_id": ids[1], "vector": [0.1, 0.9],
                                "request_id": 1}))
    assert client.wait_for("prediction")["run_id"] == ids[1]


def test_a_race_holds_one_training_slot_and_counts_as_one_run(session):
    client = session.client
    race(session, optimizers=["gd", "adam", "CG"], max_iter=30, delay_ms=10)
    client.wait_for("iteration")
    slots = session.lab.slots
    seen = set()
    while not client.of("race_done"):
        seen.add(slots.snapshot()["running"])
        time.sleep(0.005)
    assert seen <= {0, 1} and 1 in seen
    # a race counts as one run against MAX_ACTIVE_RUNS_PER_CONNECTION (2)
    race(session, optimizers=["gd"], max_iter=2000, delay_ms=50)
    session.receive(json.dumps({"type": "train", "dataset": "xor", "max_iter": 2000,
                                "delay_ms": 50}))
    race(session, optimizers=["gd"], max_iter=5)
    assert client.wait_for("error")["code"] == "busy"


def test_stopping_a_contender_stops_the_race(session):
    client = session.client
    race(session, optimizers=["gd", "adam", "TNC"], max_iter=2000, delay_ms=20)
    first = client.wait_for("race_started")["contenders"][0]["run_id"]
    client.wait_for("iteration", run_id=first)
    session.receive(json.dumps({"type": "stop", "run_id": first}))
    done = client.wait_for("race_done", timeout=30)
    assert [row["reason"] for row in done["results"]] == ["stopped"] * 3
    assert done["results"][1]["n_iter"] == 0


@pytest.mark.parametrize("fields, field", [
    ({"optimizers": []}, "optimizers"),
    ({"optimizers": ["TNC", "TNC"]}, "optimizers"),
    ({"optimizers": ["sgd"]}, "optimizers"),
    ({"optimizers": ["TNC"], "optimizer": "TNC"}, "optimizer"),
    ({"optimizers": ["TNC"], "run_id": "x"}, "run_id"),
    ({"optimizers": ["TNC"], "max_iter": 0}, "max_iter"),
])
def test_a_bad_race_names_the_field(fields, field):
    msg = {"type": "race", "dataset": "xor", **fields}
    with pytest.raises(protocol.ProtocolError) as exc:
        protocol.parse(json.dumps(msg), Limits())
    assert exc.value.field == field


def test_full_batch_equivalents_count_an_epoch_as_one():
    assert full_batch_evaluations("TNC", 7, 1000, 128) == 7.0
    # 1000 samples in batches of 128: 8 batches an epoch, the last one of 104
    assert full_batch_evaluations("adam", 8, 1000, 128) == 1.0
    assert full_batch_evaluations("gd", 8 * 3 + 2, 1000, 128) == pytest.approx(3.256)
    assert full_batch_evaluations("gd", 5, 100, 1000) == 5.0  # batch capped by m


def test_a_race_behind_a_busy_slot_waits_in_the_queue_and_then_runs(tmp_path):
    client = FakeClient()
    lab = make_lab(tmp_path, max_running=1)
    session = Session(client, lab, name="queued-race")
    try:
        session.receive(json.dumps({"type": "train", "dataset": "xor", "hidden_layers": [4],
                                    "random_state": 0, "max_iter": 400, "delay_ms": 20,
                                    "run_id": "first"}))
        client.wait_for("iteration", run_id="first")
        race(session, optimizers=["TNC", "adam"], max_iter=3, race_id="q")
        started = client.wait_for("race_started")
        queued = [m for m in client.of("state") if m["state"] == "queued"
                  and m["run_id"] in {c["run_id"] for c in started["contenders"]}]
        deadline = time.monotonic() + 10
        while not queued and time.monotonic() < deadline:
            time.sleep(0.05)
            queued = [m for m in client.of("state") if m["state"] == "queued"]
        assert queued and queued[0]["place"] == 1 and "wait_estimate_s" in queued[0]
        session.receive(json.dumps({"type": "stop", "run_id": "first"}))
        done = client.wait_for("race_done", timeout=120)
        assert [row["reason"] for row in done["results"]] == ["max_iter", "max_iter"]
    finally:
        session.close()
