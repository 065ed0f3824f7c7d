"""`explain` over a real WebSocket: the numbers a page receives are the engine's, and
`predict`/`explain` take an `iteration`; `gradient_check` takes a `variant`."""

from __future__ import annotations

import numpy as np
import pytest

from server.core.maths import layer_table, loss_and_grad, pack
from server.datasets import load_dataset, train_validation_split

SAMPLE = {"split": "test", "index": 0}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def textbook(thetas, x, y):
    """Independent per-sample backprop: explicit bias entries, sigmoid'(z) from z."""
    a, zs = [np.concatenate([[1.0], x])], []
    for t in thetas:
        zs.append(a[-1] @ t)
        a.append(np.concatenate([[1.0], sigmoid(zs[-1])]))
    deltas = [a[-1][1:] - y]
    for t, z in zip(thetas[:0:-1], zs[-2::-1]):
        deltas.insert(0, (t[1:] @ deltas[0]) * sigmoid(z) * (1 - sigmoid(z)))
    return zs, [ai[1:] for ai in a], deltas, [np.outer(ap, d) for ap, d in zip(a, deltas)]


def explain(ws, request_id, **fields):
    """Send `explain`; return (explanation, {kind: frame}) or (error, {})."""
    reply = ws.request({"type": "explain", "request_id": request_id, "run_id": "r", **fields},
                       "explanation")
    if reply["type"] == "error":
        return reply, {}
    frames = {}
    while len(frames) < len(reply["frames"]):
        frame = ws.recv(timeout=30)
        if frame["type"] == "gradients" and frame["request_id"] == request_id:
            frames[frame["kind"]] = frame
    assert list(frames) == reply["frames"]
    return reply, frames


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits20")


@pytest.fixture
def trained(ws_connect):
    ws = ws_connect()
    ws.send({"type": "train", "run_id": "r", "dataset": "digits20", "max_iter": 4,
             "regularization_parameter": 1.0, "probe": [], "weights_interval_ms": 0})
    seen = ws.until("done", timeout=120)
    weights = {m["iteration"]: m["thetas"] for m in seen if m["type"] == "weights"}
    return ws, seen[-1], weights


def test_explanation_of_a_test_sample_is_the_textbook_backprop(trained, digits):
    ws, done, _ = trained
    reply, frames = explain(ws, 1, sample=SAMPLE)
    n = done["n_iter"]
    assert reply["iteration"] == n and reply["update_from"] == n - 1
    assert reply["frames"] == ["grad_sample", "grad_full", "weights", "update"]
    thetas = [np.array(t) for t in frames["weights"]["thetas"]]
    assert frames["weights"]["dtype"] == "float64" and frames["weights"]["shapes"] == [
        [401, 25], [26, 10]]
    x, label = digits.X_test[0], int(digits.y_test[0])
    y = np.eye(10)[label]
    zs, activations, deltas, grads = textbook(thetas, x, y)
    layers = reply["layers"]
    assert layers[0] == {"a": x.tolist()} and len(layers) == 3
    for layer, z, a, d in zip(layers[1:], zs, activations[1:], deltas):
        np.testing.assert_allclose(layer["z"], z, rtol=0, atol=1e-9)
        np.testing.assert_allclose(layer["a"], a, rtol=0, atol=1e-9)
        np.testing.assert_allclose(layer["delta"], d, rtol=0, atol=1e-9)
    for ours, theirs in zip(frames["grad_sample"]["thetas"], grads):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    assert reply["target"] == y.tolist() and reply["target_class"] == label
    assert reply["target_source"] == "label" and reply["true_label"] == label
    out = activations[-1]
    unit_costs = -(y * np.log(out) + (1 - y) * np.log(1 - out))
    np.testing.assert_allclose(reply["cost"]["units"], unit_costs, rtol=1e-9)
    assert reply["cost"]["sample"] == pytest.approx(unit_costs.sum(), rel=1e-9)
    # why: the output's z of the predicted class, split into last-hidden contributions
    k = reply["predicted_class"]
    assert k == int(np.argmax(out))
    why = reply["why"]
    total = why["bias"] + sum(c["contribution"] for c in why["contributions"])
    assert why["class"] == k and total == pytest.approx(zs[-1][k], abs=1e-9)


def test_the_full_gradient_is_loss_and_grad_on_the_runs_training_set(trained, digits):
    ws, _, _ = trained
    reply, frames = explain(ws, 2, sample=SAMPLE)
    thetas = [np.array(t) for t in frames["weights"]["thetas"]]
    X, y, _, _ = train_validation_split(digits.X_train, digits.y_train, 0.1, 0)
    Y = np.eye(10)[y]
    table = layer_table((400, 25, 10))
    J, grad, _ = loss_and_grad(pack(thetas), table, X, Y, 1.0)
    full = np.concatenate([np.ravel(g) for g in frames["grad_full"]["thetas"]])
    np.testing.assert_allclose(full, grad, rtol=0, atol=1e-12)
    cost = reply["cost"]
    assert cost["m"] == X.shape[0] and cost["lambda"] == 1.0
    assert cost["J"] == pytest.approx(J, rel=1e-12)
    reg = 0.5 / X.shape[0] * sum(np.sum(t[1:] ** 2) for t in thetas)
    assert cost["J_reg"] == pytest.approx(reg, rel=1e-12)
    assert cost["J_data"] + cost["J_reg"] == pytest.approx(J, rel=1e-12)
    # the bias rows are not regularised: they are the mean of the data gradient alone
    _, data_grad, _ = loss_and_grad(pack(thetas), table, X, Y, 0.0)
    for g, d, t in zip(frames["grad_full"]["thetas"], (data_grad[:401 * 25].reshape(401, 25),
                                                         data_grad[401 * 25:].reshape(26, 10)),
                       thetas):
        np.testing.assert_allclose(g[0], d[0], rtol=0, atol=1e-15)
        np.testing.assert_allclose(g[1:] - d[1:], t[1:] / X.shape[0], rtol=0, atol=1e-12)


def test_the_update_is_the_change_from_the_previous_iteration(trained):
    ws, done, _ = trained
    n = done["n_iter"]
    _, now = explain(ws, 3, sample=SAMPLE)
    before, previous = explain(ws, 4, sample=SAMPLE, iteration=n - 1)
    # the timeline keeps every iteration of a run this short: n - 1 has n - 2 before it
    assert before["iteration"] == n - 1 and before["update_from"] == n - 2
    first, at_first = explain(ws, 13, sample=SAMPLE, iteration=0)
    assert first["iteration"] == 0 and first["update_from"] is None  # none kept before it
    assert "update" not in at_first
    for u, a, b in zip(now["update"]["thetas"], now["weights"]["thetas"],
                       previous["weights"]["thetas"]):
        np.testing.assert_allclose(u, np.asarray(a) - np.asarray(b), rtol=0, atol=1e-15)
    assert now["update"]["from_iteration"] == n - 1
    # predict takes the same iteration and uses that iteration's weights
    old = ws.request({"type": "predict", "request_id": 5, "run_id": "r", "sample": SAMPLE,
                      "iteration": n - 1}, "prediction")
    assert old["iteration"] == n - 1
    np.testing.assert_allclose(old["activations"][-1], before["layers"][-1]["a"], atol=1e-5)


def test_a_drawing_without_label_is_explained_against_its_prediction(trained, digits):
    ws, _, _ = trained
    reply, _ = explain(ws, 6, vector=digits.X_test[7].tolist())
    assert reply["target_source"] == "prediction" and reply["true_label"] is None
    assert reply["target_class"] == reply["predicted_class"]
    assert reply["target"] == np.eye(10)[reply["predicted_class"]].tolist()


def test_explain_errors_name_the_field(trained, ws_connect):
    ws, done, _ = trained
    n = done["n_iter"]
    bad, _ = explain(ws, 7, sample=SAMPLE, iteration=n + 1)  # the timeline keeps 0 to n
    assert bad["code"] == "invalid_field" and bad["field"] == "iteration"
    assert f"0 to {n}" in bad["message"] and bad["request_id"] == 7
    bad, _ = explain(ws, 8, sample={"split": "test", "index": 10**6})
    assert bad["field"] == "sample.index"
    bad, _ = explain(ws, 9, vector=[0.5, 0.5])
    assert bad["field"] == "vector"
    bad, _ = explain(ws, 10)
    assert bad["code"] == "invalid_field"
    bad = ws.request({"type": "predict", "request_id": 11, "run_id": "r", "sample": SAMPLE,
                      "iteration": n + 5}, "prediction")
    assert bad["type"] == "error" and bad["field"] == "iteration"
    fresh = ws_connect()
    bad = fresh.request({"type": "explain", "request_id": 12, "sample": SAMPLE}, "explanation")
    assert bad["code"] == "no_model" and bad["request_id"] == 12


def test_explain_while_paused_between_iterations(ws_connect):
    ws = ws_connect()
    ws.send({"type": "train", "run_id": "r", "dataset": "digits20", "max_iter": 50,
             "probe": [], "delay_ms": 5000})
    first = ws.until("iteration", timeout=120)[-1]
    ws.send({"type": "pause", "run_id": "r"})
    reply, frames = explain(ws, 1, sample=SAMPLE)
    assert reply["iteration"] >= first["iteration"] and reply["cost"]["J"] > 0
    assert set(frames) >= {"grad_sample", "grad_full", "weights"}
    ws.send({"type": "stop", "run_id": "r"})
    ws.until("done", timeout=60)


def test_iteration_messages_carry_per_layer_gradient_norms(ws_connect):
    ws = ws_connect()
    ws.send({"type": "train", "run_id": "g", "dataset": "xor", "hidden_layers": [4, 3],
             "max_iter": 3, "probe": []})
    iterations = [m for m in ws.until("done", run_id="g") if m["type"] == "iteration"]
    for m in iterations:
        assert len(m["grad_norms"]) == 3 and all(n >= 0 for n in m["grad_norms"])
        assert np.sqrt(sum(n * n for n in m["grad_norms"])) == pytest.approx(
            m["grad_norm"], rel=1e-9)


VARIANTS = ["correct", "bias_regularized", "cost_missing_lambda",
            "no_activation_derivative", "missing_1_over_m"]


@pytest.mark.parametrize("lam", [3.0, 0.0])
def test_gradient_check_variants_on_the_wire(ws_connect, lam):
    ws = ws_connect()
    ws.send({"type": "train", "run_id": "r", "dataset": "digits20", "max_iter": 3,
             "regularization_parameter": lam, "probe": []})
    ws.until("done", timeout=120)
    for variant in VARIANTS:
        reply = ws.request({"type": "gradient_check", "run_id": "r", "variant": variant},
                           "gradient_check_result")
        course, run = reply["checks"]
        assert course["network"] == "course" and course["layer_sizes"] == [3, 5, 3]
        assert len(course["coordinates"]) == 38 and course["lambda"] == 3.0
        assert run["network"] == "run" and run["lambda"] == lam
        assert reply["relative_difference"] == run["relative_difference"]
        assert reply["n_coordinates"] == len(run["coordinates"]) == 40
        assert any(c[1] == 0 for c in run["coordinates"])  # a bias row is checked
        assert len(run["numeric"]) == len(run["analytic"]) == 40
        if variant == "correct":
            assert reply["verdict"] == course["verdict"] == run["verdict"] == "pass"
            assert run["relative_difference"] <= 1e-9
            continue
        assert reply["verdict"] == "fail" and course["verdict"] == "fail"
        assert course["relative_difference"] >= 1e-3
        if lam == 0 and variant in ("bias_regularized", "cost_missing_lambda"):
            assert run["verdict"] == "pass" and "λ = 0" in run["hidden"]
            assert "course" in reply["message"]
        else:
            assert run["relative_difference"] >= 1e-3 and run["hidden"] is None
    bad = ws.request({"type": "gradient_check", "run_id": "r", "variant": "nope"},
                     "gradient_check_result")
    assert bad["field"] == "variant" and "missing_1_over_m" in bad["message"]
