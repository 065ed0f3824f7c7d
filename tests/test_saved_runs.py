"""Saved runs: the model and its history in one file, back into Python and into a session."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_training import FakeClient, make_lab

from server import config
from server.core.runfile import RunHistory
from server.datasets import load_dataset
from server.live.history import DEFAULT_BYTES_PER_RUN
from server.network import NeuralNetwork
from server.training import Session

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def lab(tmp_path):
    return make_lab(tmp_path)


@pytest.fixture
def connect(lab):
    sessions = []

    def make():
        client = FakeClient()
        session = Session(client, lab, name=f"s{len(sessions)}")
        session.client = client
        sessions.append(session)
        return session

    yield make
    for s in sessions:
        s.close()


def send(session, **msg):
    session.receive(json.dumps(msg))


def test_a_file_saved_by_format_version_1_still_loads():
    model = NeuralNetwork.load(FIXTURES / "model-v1-main.npz")  # written by main's save
    assert model.layer_sizes == (2, 4, 2) and model.history_ is None
    assert model.cost_history_[-1] == pytest.approx(1.2482294299661973)
    x = [[0.5879255468280212, 0.3874074081381848]]  # xor's first test point back then
    np.testing.assert_allclose(model.predict_proba(x), [[0.58758746, 0.4012761]], atol=1e-7)


def test_a_saved_run_keeps_its_history_and_reopens_as_the_same_run(connect, lab):
    first = connect()
    send(first, type="train", dataset="xor", hidden_layers=[4], max_iter=25, random_state=0,
         run_id="r1", weights_interval_ms=0, delay_ms=5)
    done = first.client.wait_for("done")
    live_weights = {w["iteration"]: w["thetas"] for w in first.client.of("weights")}
    send(first, type="predict", run_id="r1", sample={"split": "test", "index": 0},
         request_id="before")
    before = first.client.wait_for("prediction", request_id="before")
    send(first, type="save", run_id="r1", name="xor-run")
    first.client.wait_for("saved")
    run = first.run("r1")

    # in Python: the history as arrays
    model = NeuralNetwork.load(lab.models_dir / "xor-run.npz")
    history = model.history_
    assert history.iteration.tolist() == list(range(0, 26))
    assert history.cost.tolist() == [m["cost"] for m in run.history]
    assert history.dataset == "xor" and history.settings["max_iter"] == 25
    assert history.kept.tolist() == list(range(0, 26))
    for got, want in zip(history.weights_at(5), live_weights[5]):
        np.testing.assert_array_equal(got, want)  # the float32 of the weights frame
    assert history.summary["reason"] == done["reason"]

    # over the socket, from another connection
    second = connect()
    send(second, type="open_model", name="xor-run", run_id="again")
    started = second.client.wait_for("started")
    assert started["opened"] == "xor-run" and started["layer_sizes"] == [2, 4, 2]
    replay = second.client.wait_for("history")
    assert replay["metrics"]["cost"] == [m["cost"] for m in run.history]  # the whole curve
    again = second.client.wait_for("done")
    assert again["cost"] == done["cost"] and again["test_accuracy"] == done["test_accuracy"]
    assert again["confusion_matrix"] == done["confusion_matrix"]
    send(second, type="predict", run_id="again", sample={"split": "test", "index": 0},
         request_id="after")
    after = second.client.wait_for("prediction", request_id="after")
    assert after["label"] == before["label"] and after["outputs"] == before["outputs"]
    send(second, type="weights_at", run_id="again", iteration=5, request_id="w5")
    w5 = second.client.wait_for("weights", request_id="w5")
    for got, want in zip(w5["thetas"], live_weights[5]):
        np.testing.assert_array_equal(got, want)


def test_a_model_trained_in_python_opens_on_a_data_set_that_fits(connect, lab):
    ds = load_dataset("xor")
    model = NeuralNetwork(hidden_layers=(3,), max_iter=10, random_state=1)
    model.fit(ds.X_train, ds.y_train, X_val=ds.X_test, y_val=ds.y_test)
    lab.models_dir.mkdir(parents=True)
    model.save(lab.models_dir / "from-python.npz")
    session = connect()
    send(session, type="open_model", name="from-python")
    error = session.client.wait_for("error")
    assert error["field"] == "dataset" and "choose one" in error["message"]
    send(session, type="open_model", name="from-python", dataset="digits20")
    error = session.client.wait_for("error", count=2)
    assert error["code"] == "invalid_field" and error["field"] == "dataset"
    assert "2 inputs" in error["message"] and "400 features" in error["message"]
    send(session, type="open_model", name="from-python", dataset="xor")
    replay = session.client.wait_for("history")
    assert replay["metrics"]["cost"] == pytest.approx(model.cost_history_)
    assert replay["metrics"]["val_cost"] == pytest.approx(model.val_cost_history_)
    assert session.client.wait_for("done")["n_iter"] == 10
    send(session, type="open_model", name="nothing-here")
    assert session.client.wait_for("error", count=3)["code"] == "no_model"


def test_the_models_listing_says_which_files_have_history(client, app, tmp_path):
    models = Path(app.config["MODELS_DIR"])
    models.mkdir(parents=True)
    (models / "old.npz").write_bytes((FIXTURES / "model-v1-main.npz").read_bytes())
    (models / "junk.npz").write_bytes(b"not a zip")
    ds = load_dataset("xor")
    model = NeuralNetwork(hidden_layers=(3,), max_iter=5, random_state=1)
    model.fit(ds.X_train, ds.y_train)
    model.history_ = RunHistory.from_model(model)
    model.history_.dataset = "xor"
    model.save(models / "new.npz")
    listing = {m["name"]: m for m in client.get("/api/models").get_json()}
    assert listing["old"]["has_history"] is False and listing["old"]["format_version"] == 1
    assert listing["new"]["has_history"] is True and listing["new"]["dataset"] == "xor"
    assert listing["new"]["cost"] == pytest.approx(model.cost_history_[-1])
    assert listing["new"]["layer_sizes"] == [2, 3, 2]
    assert listing["junk"]["valid"] is False


def test_a_run_at_the_default_budget_fits_the_upload_limit(tmp_path):
    sizes = [(785, 128), (129, 10)]                        # 784-128-10: 407 KB an iteration
    per_iteration = 4 * sum(a * b for a, b in sizes)
    k = DEFAULT_BYTES_PER_RUN // per_iteration + 2         # the budget, first and latest
    n = 2000                                               # MAX_ITER iterations of metrics
    history = RunHistory({"iteration": np.arange(1, n + 1), "cost": np.ones(n)},
                         np.arange(1, k + 1), [np.zeros((k, *s), np.float32) for s in sizes],
                         dataset="mnist")
    model = NeuralNetwork.from_thetas([np.zeros(s) for s in sizes])
    model.history_ = history
    model.save(tmp_path / "big.npz")
    size = (tmp_path / "big.npz").stat().st_size
    assert size > DEFAULT_BYTES_PER_RUN
    assert size <= config.DEFAULTS["MAX_UPLOAD_BYTES"]
    assert NeuralNetwork.load(tmp_path / "big.npz").history_.kept.size == k


def test_a_file_whose_history_does_not_fit_its_metadata_is_refused(tmp_path):
    model = NeuralNetwork.from_thetas([np.zeros((3, 2))])
    model.history_ = RunHistory({"cost": [1.0]}, [1], [np.zeros((1, 3, 2), np.float32)])
    path = tmp_path / "m.npz"
    model.save(path)
    with np.load(path) as data:
        arrays = dict(data)
    arrays["history_metrics"] = np.zeros((1, 2))  # two columns, one metric named
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="history"):
        NeuralNetwork.load(path)
