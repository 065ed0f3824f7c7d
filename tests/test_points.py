"""The 2-D data sets on the wire: noise, size and seed; weights as often as the page
redraws; per-class accuracy in every iteration; activations end to end."""

from __future__ import annotations

import numpy as np
import pytest
from test_training import FakeClient, train

from server.datasets import load_dataset
from server.network import NeuralNetwork
from server.protocol import Limits, settings, validate_train
from server.training import Session

DATA = {"noise": 0.12, "n_points": 120, "data_seed": 7}


def drawn_points(client, dataset, split, n, **query):
    """Every point of a split as the page fetches them: pages of at most 256."""
    images, labels = [], []
    for start in range(0, n, 256):
        args = "&".join(f"{k}={v}" for k, v in query.items())
        body = client.get(f"/api/datasets/{dataset}/samples?split={split}&start={start}"
                          f"&count=256&{args}").get_json()
        images += body["images"]
        labels += body["labels"]
    return np.array(images), np.array(labels), body


@pytest.fixture
def app_session(app):
    client = FakeClient()
    session = Session(client, app.extensions["backprop_lab"], name="points")
    yield session, client
    session.close()


def test_samples_serve_the_points_a_seed_noise_and_size_draw(client):
    expected = load_dataset("sine", **DATA)
    X, y, body = drawn_points(client, "sine", "train", 120, **DATA)
    assert body["data_params"] == DATA and body["n"] == 120
    np.testing.assert_allclose(X, expected.X_train, atol=1e-4)
    np.testing.assert_array_equal(y, expected.y_train)
    default = client.get("/api/datasets/sine/samples?count=4").get_json()
    assert default["data_params"] == {"noise": 0.05, "n_points": 400, "data_seed": 0}
    assert client.get("/api/datasets/digits20/samples?count=1&noise=0.3").get_json()[
        "data_params"] is None  # only the 2-D data sets are drawn


@pytest.mark.parametrize("query, field", [
    ("noise=2", "noise"), ("noise=abc", "noise"), ("n_points=5", "n_points"),
    ("n_points=1.5", "n_points"), ("data_seed=-1", "data_seed"),
])
def test_samples_refuse_bad_data_parameters_naming_them(client, query, field):
    response = client.get(f"/api/datasets/xor/samples?{query}")
    assert response.status_code == 400 and response.get_json()["field"] == field


def test_a_train_with_data_parameters_trains_on_exactly_the_points_the_page_drew(
        client, app_session):
    session, frames = app_session
    X_page, y_page, _ = drawn_points(client, "circles", "train", 120, **DATA)
    X_test_page, _, _ = drawn_points(client, "circles", "test", 30, **DATA)
    train(session, dataset="circles", max_iter=5, validation_fraction=0.0, **DATA)
    frames.wait_for("done")
    started = frames.of("started")[0]
    assert started["dataset"]["data_params"] == DATA
    assert (started["dataset"]["n_train"], started["dataset"]["n_test"]) == (120, 30)
    run = session.run()
    np.testing.assert_allclose(run.dataset.X_train, X_page, atol=1e-4)
    np.testing.assert_array_equal(run.dataset.y_train, y_page)
    np.testing.assert_allclose(run.dataset.X_test, X_test_page, atol=1e-4)


def test_probe_indices_are_checked_against_the_drawn_test_set(app_session):
    session, frames = app_session
    train(session, n_points=20, probe=[5])  # 20 training points: 5 test points
    assert frames.wait_for("error")["field"] == "probe"


def test_two_d_weights_stream_every_50_ms_and_images_every_250():
    request = validate_train({"type": "train"}, Limits())
    assert request["weights_interval_ms"] is None
    assert settings.for_dataset(request, "points")["weights_interval_ms"] == 50
    assert settings.for_dataset(request, "image")["weights_interval_ms"] == 250
    assert settings.for_dataset(request, "table")["weights_interval_ms"] == 250
    chosen = dict(request, weights_interval_ms=0)
    assert settings.for_dataset(chosen, "points")["weights_interval_ms"] == 0


def test_data_parameters_do_not_apply_to_image_sets():
    request = validate_train({"type": "train", **DATA}, Limits())
    assert settings.data_params(settings.for_dataset(request, "points")) == DATA
    assert settings.data_params(settings.for_dataset(request, "image")) == {}
    rows = {row["name"]: row for row in settings.settings_json(Limits())}
    assert [n for n, row in rows.items() if row.get("datasets") == "points"] == list(DATA)
    assert rows["weights_interval_ms"]["kind_defaults"] == {"points": 50, "*": 250}


def test_a_toy_run_streams_weights_at_the_two_d_interval(app_session):
    session, frames = app_session
    train(session, max_iter=30, delay_ms=10)
    frames.wait_for("done")
    assert frames.of("started")[0]["params"]["weights_interval_ms"] == 50
    # 30 iterations of >= 10 ms: at 250 ms there would be at most 2 before the final one
    assert len(frames.of("weights")) >= 4


def test_every_iteration_carries_per_class_validation_accuracy(app_session):
    session, frames = app_session
    train(session, dataset="gaussians", hidden_layers=[3], max_iter=8, optimizer="L-BFGS-B",
          validation_fraction=0.25, noise=0.4)
    frames.wait_for("done")
    run = session.run()
    history = run.history
    assert all(len(m["class_accuracy"]) == 3 for m in history)
    assert all(0.0 <= v <= 1.0 for m in history for v in m["class_accuracy"])
    # The last iteration's numbers are those of the final weights on the validation set.
    _, _, X_val, y_val = run.lab.split("gaussians", 0.25, 0, {"noise": 0.4})
    predicted = run.model.predict(X_val)
    per_class = [round(float(np.mean(predicted[y_val == c] == c)), 4) for c in range(3)]
    assert history[-1]["class_accuracy"] == per_class
    assert frames.of("iteration")[-1]["class_accuracy"] == per_class


def test_the_engine_reports_training_accuracy_per_class_without_validation():
    rng = np.random.default_rng(0)
    X, y = rng.uniform(size=(90, 2)), np.repeat([0, 1, 2], 30)
    seen = []
    model = NeuralNetwork((4,), max_iter=3, optimizer="L-BFGS-B", random_state=0)
    model.fit(X, y, callback=lambda info: seen.append(info.class_accuracy.copy()))
    assert len(seen) == model.n_iter_ and all(s.shape == (3,) for s in seen)
    predicted = model.predict(X)
    np.testing.assert_allclose(seen[-1], [np.mean(predicted[y == c] == c) for c in range(3)])


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_a_run_trains_and_predicts_with_the_chosen_activation(app_session, activation):
    session, frames = app_session
    train(session, activation=activation, hidden_layers=[8], max_iter=40,
          regularization_parameter=0.01)
    done = frames.wait_for("done")
    run = session.run()
    assert frames.of("started")[0]["params"]["activation"] == activation
    assert run.model.activation == activation and done["test_accuracy"] > 0.9
    probe = frames.of("iteration")[-1]["probe_activations"][0][0]
    expected = run.model.activations(run.dataset.X_test[:1])[1][0]
    np.testing.assert_allclose(probe, expected, atol=1e-5)
    session.receive('{"type": "gradient_check"}')
    assert frames.wait_for("gradient_check_result")["relative_difference"] < 1e-6
