"""Sessions and runs with a fake ``send``: no sockets, the real engine and data sets."""

from __future__ import annotations

import json
import os
import threading
import time

import numpy as np
import pytest

from server import protocol
from server.core import optimizers
from server.datasets import load_dataset
from server.live.run import RUN_IDS
from server.network import NeuralNetwork
from server.protocol import Limits
from server.threads import TrainingSlots
from server.training import Lab, Session


class FakeClient:
    """A ``send`` that records frames, optionally slowly, and can wait for one."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.frames = []
        self.cond = threading.Condition()

    def __call__(self, frame):
        if self.delay:
            time.sleep(self.delay)
        if isinstance(frame, bytes):
            header, thetas = protocol.decode_weights(frame)
            msg = {**header, "thetas": thetas}
        else:
            msg = json.loads(frame)
        with self.cond:
            self.frames.append(msg)
            self.cond.notify_all()

    def of(self, kind, run_id=None):
        with self.cond:
            return [m for m in self.frames if m["type"] == kind
                    and (run_id is None or m.get("run_id") == run_id)]

    def wait_for(self, kind, count=1, timeout=60, run_id=None, **match):
        # under make mutate, BACKPROP_LAB_TEST_WAIT_CAP (conftest.capped_wait) shortens it
        timeout = min(timeout, float(os.environ.get("BACKPROP_LAB_TEST_WAIT_CAP", "inf")))
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [m for m in self.frames if m["type"] == kind
                         and (run_id is None or m.get("run_id") == run_id)
                         and all(m.get(k) == v for k, v in match.items())]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {kind} {match} within {timeout}s: "
                                         f"{[m['type'] for m in self.frames][-15:]}")
                self.cond.wait(left)


def make_lab(tmp_path, **kw):
    slots = TrainingSlots(kw.pop("max_running", 4), kw.pop("max_queued", 64),
                          kw.pop("policy", "queue"))
    return Lab(kw.pop("limits", Limits()), slots, tmp_path / "models", **kw)


@pytest.fixture
def lab(tmp_path):
    return make_lab(tmp_path)


@pytest.fixture
def session_factory(lab):
    sessions = []

    def make(delay=0.0, the_lab=None):
        client = FakeClient(delay)
        session = Session(client, the_lab or lab, name=f"t{len(sessions)}")
        sessions.append(session)
        return session, client

    yield make
    for s in sessions:
        s.close()


def train(session, **fields):
    session.receive(json.dumps({"type": "train", "dataset": "xor", "hidden_layers": [4],
                                "probe": [0, 1, 2], "random_state": 0, **fields}))


def run_threads():
    return [t for t in threading.enumerate() if t.name.startswith(("train-", "outbox-t"))]


def test_a_full_run_streams_increasing_iterations_and_ends_with_done(session_factory):
    session, client = session_factory()
    train(session, max_iter=40, weights_interval_ms=0)
    done = client.wait_for("done")
    started = client.of("started")[0]
    assert started["layer_sizes"] == [2, 4, 2]
    assert started["dataset"]["n_val"] > 0 and started["probe"]["indices"] == [0, 1, 2]
    iterations = client.of("iteration")
    numbers = [m["iteration"] for m in iterations]
    n_iter = done["n_iter"]
    assert n_iter > 10 and done["reason"] in ("max_iter", "converged")
    assert numbers == sorted(set(numbers)) and numbers[-1] == n_iter  # may coalesce
    history = session.run().history
    # for replay, from iteration 0: the initial weights, before the optimizer's first step
    assert [m["iteration"] for m in history] == list(range(0, n_iter + 1))
    costs = [m["cost"] for m in history]
    assert all(b <= a + 1e-12 for a, b in zip(costs, costs[1:]))  # TNC never goes uphill
    assert costs[-1] < costs[0]
    probe = iterations[-1]["probe_activations"]
    assert [len(layer) for layer in probe[0]] == [4, 2] and len(probe) == 3
    assert np.sum(done["confusion_matrix"]) == started["dataset"]["n_test"]
    assert done["n_misclassified"] == started["dataset"]["n_test"] - np.trace(
        done["confusion_matrix"])
    wrong, said = done["misclassified"], done["misclassified_predicted"]
    assert len(said) == len(wrong) and wrong
    predicted = session.run().model.predict(load_dataset("xor").X_test[wrong])
    assert said == predicted.tolist()  # xor's classes are 0 and 1: index = label
    assert 0.0 <= done["test_accuracy"] <= 1.0
    assert 0.0 < done["streaming_time"] < done["elapsed"]
    # done comes after the final iteration and the final weights
    kinds = [m["type"] for m in client.frames]
    assert kinds.index("done") > max(i for i, k in enumerate(kinds) if k in ("iteration",
                                                                              "weights"))
    last_weights = client.of("weights")[-1]
    assert last_weights["iteration"] == n_iter
    assert [t.shape for t in last_weights["thetas"]] == [(3, 4), (5, 2)]
    run = session.run()
    np.testing.assert_allclose(last_weights["thetas"][0], run.model.thetas[0], rtol=1e-6)


def test_weights_frames_are_throttled(session_factory):
    session, client = session_factory()
    train(session, max_iter=60, weights_interval_ms=60_000)
    done = client.wait_for("done")
    weights = client.of("weights")
    assert done["n_iter"] > 2
    assert [w["iteration"] for w in weights] == [0, done["n_iter"]]  # the start, then final


def test_pause_step_resume_and_speed(session_factory):
    session, client = session_factory()
    train(session, max_iter=2000, optimizer="gd", delay_ms=100, run_id="slow")
    client.wait_for("iteration")
    session.receive(json.dumps({"type": "pause"}))
    client.wait_for("state", state="paused")
    time.sleep(0.3)
    paused_at = client.of("iteration")[-1]["iteration"]
    time.sleep(0.3)
    assert client.of("iteration")[-1]["iteration"] == paused_at  # the worker is blocked

    for k in (1, 2):
        session.receive(json.dumps({"type": "step", "run_id": "slow"}))
        client.wait_for("state", count=k + 1, state="paused")
        assert client.of("iteration")[-1]["iteration"] == paused_at + k
    time.sleep(0.2)
    assert client.of("iteration")[-1]["iteration"] == paused_at + 2  # exactly one per step

    session.receive(json.dumps({"type": "resume"}))
    client.wait_for("iteration", count=paused_at + 5)
    t0 = time.monotonic()
    n0 = len(client.of("iteration"))
    time.sleep(0.5)
    slow_rate = (len(client.of("iteration")) - n0) / (time.monotonic() - t0)
    assert slow_rate < 12  # 100 ms between iterations: at most 10 per second
    session.receive(json.dumps({"type": "speed", "delay_ms": 10}))
    time.sleep(0.1)
    t0 = time.monotonic()
    n0 = len(client.of("iteration"))
    time.sleep(0.3)
    assert (len(client.of("iteration")) - n0) / (time.monotonic() - t0) > 2 * slow_rate
    session.receive(json.dumps({"type": "stop"}))
    done = client.wait_for("done")
    assert done["reason"] == "stopped" and done["n_iter"] < 2000


def test_stop_while_paused_ends_the_run(session_factory):
    session, client = session_factory()
    train(session, max_iter=500, optimizer="gd", delay_ms=20)
    client.wait_for("iteration")
    session.receive(json.dumps({"type": "pause"}))
    client.wait_for("state", state="paused")
    session.receive(json.dumps({"type": "stop"}))
    assert client.wait_for("done", timeout=10)["reason"] == "stopped"
    run = session.run()
    run.thread.join(5)
    assert not run.thread.is_alive()


def test_a_slow_client_does_not_slow_training(session_factory):
    fast_session, fast = session_factory()
    train(fast_session, max_iter=150, optimizer="gd", weights_interval_ms=0)
    fast_done = fast.wait_for("done")
    slow_session, slow = session_factory(delay=0.02)  # 20 ms per frame
    train(slow_session, max_iter=150, optimizer="gd", weights_interval_ms=0)
    slow_done = slow.wait_for("done", timeout=60)
    # 150 iterations + 150 weights frames would take > 6 s at 20 ms each; the run
    # itself is not held back, intermediate frames are coalesced instead.
    assert slow_done["elapsed"] < 2.0 + 3 * fast_done["elapsed"]
    iterations = [m["iteration"] for m in slow.of("iteration")]
    assert iterations[-1] == 150 and iterations == sorted(set(iterations))
    assert len(iterations) < 150
    assert slow_session.outbox.coalesced > 0
    assert slow.of("weights")[-1]["iteration"] == 150


def test_closing_a_session_ends_its_threads(session_factory):
    before = set(run_threads())
    session, client = session_factory()
    train(session, max_iter=2000, optimizer="gd", delay_ms=5)
    client.wait_for("iteration")
    assert len(set(run_threads()) - before) == 2  # the worker and the sender
    session.close()
    assert not (set(run_threads()) - before)


def test_predict_on_the_trained_model_and_mid_run(session_factory):
    session, client = session_factory()
    train(session, max_iter=30, run_id="a")
    client.wait_for("done")
    session.receive(json.dumps({"type": "predict", "request_id": "q1",
                                "vector": [0.2, 0.8]}))
    p = client.wait_for("prediction")
    model = session.run("a").model
    proba = model.predict_proba(np.array([[0.2, 0.8]]))[0]
    assert p["label"] == int(model.predict(np.array([[0.2, 0.8]]))[0])
    assert p["request_id"] == "q1" and p["class_name"] == str(p["label"])
    np.testing.assert_allclose(p["probabilities"], proba / proba.sum(), atol=1e-5)
    assert [len(a) for a in p["activations"]] == [2, 4, 2]
    session.receive(json.dumps({"type": "predict", "sample": {"split": "test", "index": 3}}))
    p = client.wait_for("prediction", count=2)
    assert p["true_label"] == int(session.run("a").dataset.y_test[3])
    session.receive(json.dumps({"type": "predict", "vector": [0.2, 0.8, 0.1]}))
    err = client.wait_for("error")
    assert err["field"] == "vector" and "takes 2" in err["message"]


def test_predict_before_any_weights_is_no_model(session_factory):
    session, client = session_factory()
    session.receive(json.dumps({"type": "predict", "vector": [0.1, 0.2], "request_id": 4}))
    err = client.wait_for("error")
    assert err["code"] == "no_model" and err["request_id"] == 4
    assert err["request_type"] == "predict"


def test_gradient_check_and_save(session_factory, lab):
    session, client = session_factory()
    train(session, max_iter=10)
    client.wait_for("done")
    session.receive(json.dumps({"type": "gradient_check"}))
    result = client.wait_for("gradient_check_result")
    assert result["relative_difference"] < 1e-7 and result["n_coordinates"] == 22
    session.receive(json.dumps({"type": "save", "name": "xor-net"}))
    client.wait_for("saved")
    loaded = NeuralNetwork.load(lab.models_dir / "xor-net.npz")
    np.testing.assert_array_equal(loaded.thetas[1], session.run().model.thetas[1])
    assert [p.name for p in lab.models_dir.iterdir()] == ["xor-net.npz"]


def test_too_many_parameters_is_refused_before_training(tmp_path, session_factory):
    small = make_lab(tmp_path, limits=Limits(max_parameters=100))
    session, client = session_factory(the_lab=small)
    train(session, hidden_layers=[50])
    err = client.wait_for("error")
    assert err["code"] == "too_large" and err["field"] == "hidden_layers"
    train(session, probe=[10**6])
    assert client.wait_for("error", count=2)["field"] == "probe"
    train(session, dataset="nope")
    assert client.wait_for("error", count=3)["field"] == "dataset"
    assert not client.of("started")


def test_busy_policy_refuse_and_per_connection_cap(tmp_path, session_factory):
    busy_lab = make_lab(tmp_path, max_running=1, policy="refuse", max_active_runs=1)
    s1, c1 = session_factory(the_lab=busy_lab)
    s2, c2 = session_factory(the_lab=busy_lab)
    train(s1, max_iter=2000, optimizer="gd", delay_ms=10, run_id="first")
    c1.wait_for("started")
    train(s1, max_iter=5, run_id="second")  # same connection: at most 1 active run
    assert c1.wait_for("error")["code"] == "busy"
    train(s2, max_iter=5)  # another connection: no free slot, policy refuse
    err = c2.wait_for("error")
    assert err["code"] == "busy" and err["request_type"] == "train"
    s1.receive(json.dumps({"type": "stop"}))
    c1.wait_for("done")
    train(s2, max_iter=5, run_id="later")
    assert c2.wait_for("done", run_id="later")["reason"] == "max_iter"


def test_queued_runs_start_when_a_slot_frees(tmp_path, session_factory):
    one_slot = make_lab(tmp_path, max_running=1)
    s1, c1 = session_factory(the_lab=one_slot)
    s2, c2 = session_factory(the_lab=one_slot)
    train(s1, max_iter=2000, optimizer="gd", delay_ms=10)
    c1.wait_for("started")
    train(s2, max_iter=5)
    assert c2.wait_for("state")["state"] == "queued"
    assert not c2.of("started")
    train(s2, max_iter=5, run_id="never")  # queued too, then stopped while waiting
    c2.wait_for("state", count=2, state="queued")
    s2.receive(json.dumps({"type": "stop", "run_id": "never"}))
    never = c2.wait_for("done", run_id="never")
    assert never["reason"] == "stopped" and never["n_iter"] == 0
    assert not c2.of("started", run_id="never")
    s1.receive(json.dumps({"type": "stop"}))
    done = c2.wait_for("done", run_id=c2.of("state")[0]["run_id"])
    assert done["reason"] == "max_iter"
    assert one_slot.slots.snapshot() | {"cores": 0} == {
        "running": 0, "queued": 0, "max_running": 1, "cores": 0, "policy": "queue"}


def test_blas_threads_are_shared_among_running_trainings():
    slots = TrainingSlots(4, cores=2)
    never = threading.Event()
    assert slots.acquire(never) == 2
    assert slots.acquire(never) == 1
    assert slots.acquire(never) == 1
    slots.release()
    slots.release()
    assert slots.threads_per_training() == 2


def test_two_runs_side_by_side_on_one_connection(session_factory):
    session, client = session_factory()
    train(session, max_iter=20, run_id="left", hidden_layers=[2])
    train(session, max_iter=20, run_id="right", hidden_layers=[6])
    left = client.wait_for("done", run_id="left")
    right = client.wait_for("done", run_id="right")
    assert client.of("started", run_id="left")[0]["layer_sizes"] == [2, 2, 2]
    assert client.of("started", run_id="right")[0]["layer_sizes"] == [2, 6, 2]
    for run_id, done in (("left", left), ("right", right)):
        numbers = [m["iteration"] for m in client.of("iteration", run_id=run_id)]
        assert numbers == sorted(set(numbers)) and numbers[-1] == done["n_iter"]
    session.receive(json.dumps({"type": "predict", "run_id": "left", "vector": [0.5, 0.5]}))
    assert len(client.wait_for("prediction")["activations"][1]) == 2


def test_seeded_validation_splits_are_shared_between_runs(lab):
    a = lab.split("circles", 0.1, 7)
    b = lab.split("circles", 0.1, 7)
    assert all(x is y for x, y in zip(a, b))
    assert not a[0].flags.writeable
    c = lab.split("circles", 0.1, 8)
    assert c[0] is not a[0] and c[2].shape == a[2].shape
    assert lab.split("circles", 0.0, 7)[2] is None


def test_a_client_chosen_id_never_collides_with_a_server_id(session_factory):
    session, client = session_factory()
    taken = f"run-{next(RUN_IDS) + 1}"  # the next id the server would draw
    train(session, run_id=taken, max_iter=3)
    train(session, max_iter=3)
    first, second = client.wait_for("started", 1), client.wait_for("started", 2)
    assert first["run_id"] != second["run_id"]
    assert len(session.runs) == 2 and taken in session.runs
    client.wait_for("done", 2)
    session.close()
    assert run_threads() == []


def test_speed_shortens_a_long_delay_at_once(session_factory):
    session, client = session_factory()
    train(session, max_iter=3, delay_ms=5000)
    client.wait_for("iteration", 1)
    t0 = time.monotonic()
    session.receive(json.dumps({"type": "speed", "delay_ms": 0}))
    client.wait_for("done", timeout=20)
    assert time.monotonic() - t0 < 3.0  # not the 5 s the old delay still had to run


def test_error_replies_do_not_echo_huge_values(session_factory):
    session, client = session_factory()
    session.receive(json.dumps({"type": "train", "dataset": "xor", "optimizer": "x" * 100_000}))
    error = client.wait_for("error")
    assert error["field"] == "optimizer" and len(error["message"]) < 300


@pytest.mark.parametrize("field, value", [("name", "evil\n"), ("run_id", "abc\n")])
def test_names_with_a_trailing_newline_are_refused(session_factory, field, value):
    session, client = session_factory()
    if field == "run_id":
        train(session, run_id=value)
    else:
        train(session, max_iter=2)
        client.wait_for("done")
        session.receive(json.dumps({"type": "save", "name": value}))
    assert client.wait_for("error")["field"] == field


def test_a_run_past_the_time_limit_ends_with_a_message_naming_it(tmp_path, session_factory):
    the_lab = make_lab(tmp_path, max_run_seconds=0.3)
    session, client = session_factory(the_lab=the_lab)
    t0 = time.monotonic()
    train(session, dataset="spiral", hidden_layers=[64, 64], regularization_parameter=0,
          max_iter=2000)
    done = client.wait_for("done", timeout=30)
    assert done["reason"] == "stopped" and "MAX_RUN_SECONDS" in done["message"]
    assert done["n_iter"] < 2000 and time.monotonic() - t0 < 10
    assert session.run().compute_time == pytest.approx(0.3, abs=0.3)


def test_paused_time_does_not_count_against_the_time_limit(tmp_path, session_factory):
    the_lab = make_lab(tmp_path, max_run_seconds=5)
    session, client = session_factory(the_lab=the_lab)
    train(session, max_iter=5, delay_ms=400)
    done = client.wait_for("done", timeout=30)
    assert done["reason"] != "stopped" and session.run().compute_time < 1.5


def test_a_failure_inside_the_engine_ends_with_done_error_and_the_session_lives_on(
        session_factory, monkeypatch):
    def broken_fit(self, *args, **kwargs):
        raise RuntimeError("simulated failure in the engine")

    monkeypatch.setattr(NeuralNetwork, "fit", broken_fit)
    session, client = session_factory()
    train(session, max_iter=5)
    done = client.wait_for("done")
    assert done["reason"] == "error" and "simulated failure" in done["message"]
    assert done["test_accuracy"] is None
    monkeypatch.undo()
    train(session, max_iter=3)  # the same connection trains again
    assert client.wait_for("done", 2)["reason"] in ("max_iter", "converged")


@pytest.mark.parametrize("delay", [0.0, 0.05])  # a slow client: frames coalesce
def test_iteration_0_is_the_cost_of_the_weights_the_fit_starts_from(session_factory,
                                                                    monkeypatch, delay):
    # The fit's own costs, read where it computes them: the stream's `evaluation`
    # frames are coalesced, and under load the first one sent can be TNC's second
    # evaluation, a finite-difference step away (a cost 8e-9 off, seen twice).
    costs = []
    objective = optimizers.FitState.objective

    def recording(state, x):
        cost, grad = objective(state, x)
        costs.append(cost)
        return cost, grad

    monkeypatch.setattr(optimizers.FitState, "objective", recording)
    session, client = session_factory(delay)
    train(session, max_iter=5, evaluation_interval_ms=0, weights_interval_ms=0)
    done = client.wait_for("done")
    # iteration 0 may ride in iteration 1's frame (`skipped`) when the sender lags
    first = [s for m in client.of("iteration") for s in [*m.get("skipped", []), m]][0]
    assert first["iteration"] == 0 and first["n_fev"] == 0
    # the optimizer's first evaluation is at its starting point: the same cost
    assert first["cost"] == pytest.approx(costs[0], rel=1e-9)
    assert done["n_fev"] == len(costs) and costs[-1] < costs[0]  # the recording saw the run
    assert first["val_cost"] is not None and 0.0 <= first["train_accuracy"] <= 1.0
    assert done["n_iter"] == 5 and [m["iteration"] for m in session.run().history][:2] == [0, 1]


def test_done_carries_the_final_weights_test_cost_and_accuracy(session_factory):
    session, client = session_factory()
    train(session, max_iter=15, regularization_parameter=1.0)
    done = client.wait_for("done")
    model, ds = session.run().model, load_dataset("xor")
    # the post's cross-entropy of the sigmoid outputs, without the weight decay
    h = model.activations(ds.X_test)[-1]                                  # (m, 2)
    Y = (np.asarray(ds.y_test)[:, None] == model.classes_[None, :]).astype(float)
    plain = -np.mean(np.sum(Y * np.log(h) + (1 - Y) * np.log(1 - h), axis=1))
    assert done["test_cost"] == pytest.approx(plain, rel=1e-9)
    assert done["test_accuracy"] == pytest.approx(model.score(ds.X_test, ds.y_test))
    assert done["test_cost"] != pytest.approx(done["cost"])  # not the training objective
