"""Every server message builder, key by key and value by value, called directly
(server/protocol/messages.py: the socket tests look at a message's type and a field or
two; the page reads every key written here)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from server.protocol import messages as m
from server.protocol.errors import ProtocolError, invalid
from server.protocol.limits import Limits
from server.protocol.settings import optimizers_json, settings_json, variants_json


def test_rounded_and_num_make_short_finite_json_numbers():
    assert m.rounded([0.123456789, 2]) == [0.12346, 2.0]
    assert m.rounded(np.array([[0.5, 1 / 3]]), 2) == [[0.5, 0.33]]
    assert [type(v) for v in m.rounded([1, True])] == [float, float]  # numbers as floats
    assert m.num(None) is None and m.num(float("nan")) is None and m.num(math.inf) is None
    assert m.num(np.float32(0.5)) == 0.5 and type(m.num(np.int64(3))) is float


def test_ready_lists_the_limits_sets_settings_and_registries():
    limits = Limits(max_iter=7)
    assert m.ready(limits, [{"id": "x"}]) == {
        "type": "ready", "protocol": 1, "limits": limits.to_json(), "datasets": [{"id": "x"}],
        "settings": settings_json(limits), "optimizers": optimizers_json(),
        "gradient_check_variants": variants_json(), "can_save": True}
    assert m.ready(limits, [], False)["can_save"] is False


def test_started_echoes_the_run_and_its_extras():
    assert m.started("r", (np.int64(2), 3), {"a": 1}, {"id": "d"}, {"n": 0}, race_id="q") == {
        "type": "started", "run_id": "r", "layer_sizes": [2, 3], "params": {"a": 1},
        "dataset": {"id": "d"}, "probe": {"n": 0}, "race_id": "q"}


def _info(**kw):
    base = dict(iteration=np.int64(3), n_fev=np.int64(5), cost=1.5, val_cost=None,
                train_accuracy=0.25, val_accuracy=None, grad_norm=float("nan"),
                elapsed=0.123456, class_accuracy=np.array([0.123456, float("nan")]),
                val_class_accuracy=np.array([1.0, 0.0]), grad_norms=(np.float64(2.0),))
    base.update(kw)
    return SimpleNamespace(**base)


def test_iteration_scalars_take_training_class_accuracy_without_validation():
    s = m.iteration_scalars(_info())
    assert s == {"iteration": 3, "n_fev": 5, "cost": 1.5, "val_cost": None,
                 "train_accuracy": 0.25, "val_accuracy": None, "grad_norm": None,
                 "elapsed": 0.1235, "class_accuracy": [0.1235, None], "grad_norms": [2.0]}
    assert type(s["iteration"]) is int and type(s["n_fev"]) is int
    with_val = m.iteration_scalars(_info(val_accuracy=0.5, val_cost=0.25, grad_norm=3.0))
    assert with_val["class_accuracy"] == [1.0, 0.0] and with_val["val_cost"] == 0.25
    assert with_val["val_accuracy"] == 0.5 and with_val["grad_norm"] == 3.0
    assert m.iteration_scalars(_info(class_accuracy=None))["class_accuracy"] is None
    assert m.iteration_scalars(SimpleNamespace(**{k: v for k, v in vars(_info()).items()
                                                  if k != "grad_norms"}))["grad_norms"] == []


def test_iteration_carries_the_probe_per_sample_then_layer():
    layers = [np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[1.0], [0.0]])]  # 2 samples
    msg = m.iteration("r", {"iteration": 1}, layers)
    assert msg == {"type": "iteration", "run_id": "r", "iteration": 1,
                   "probe_activations": [[[0.1, 0.2], [1.0]], [[0.3, 0.4], [0.0]]]}
    assert m.iteration("r", _info(), [])["probe_activations"] == []
    assert m.probe_rows([np.array([[0.123456789]])]) == [[[0.12346]]]


def test_evaluation_state_and_done():
    assert m.evaluation("r", 4.0, np.float64(0.5)) == {
        "type": "evaluation", "run_id": "r", "n_fev": 4, "cost": 0.5}
    assert m.state("r", "paused", place=2) == {
        "type": "state", "run_id": "r", "state": "paused", "place": 2}
    metrics = dict.fromkeys(m.DONE_FIELDS)
    assert m.done("r", "stopped", "by you", **metrics) == {
        "type": "done", "run_id": "r", "reason": "stopped", "message": "by you", **metrics}
    del metrics["cost"]
    with pytest.raises(AssertionError) as info:  # a missing field is named
        m.done("r", "stopped", "", **metrics)
    assert str(info.value) == "{'cost'}"


def test_prediction_rounds_probabilities_activations_and_image_differently():
    msg = m.prediction(1, "r", 3, "3", [0.1234567], [np.array([0.123456])], [[0.123456]],
                       [1, 1], opened=True)
    assert msg == {"type": "prediction", "request_id": 1, "run_id": "r", "label": 3,
                   "class_name": "3", "probabilities": [0.123457], "activations": [[0.12346]],
                   "image": [[0.1235]], "image_shape": [1, 1], "opened": True}


def test_explanation_keeps_layers_unrounded_and_nulls_non_finite_costs():
    layers = [{"a": np.array([0.123456789])}, {"z": [1], "a": [0.5], "delta": [np.nan]}]
    msg = m.explanation("q", "r", np.int64(2), layers, {"total": 0.25, "per": [1.0, math.inf]},
                        target=1)
    assert msg == {"type": "explanation", "request_id": "q", "run_id": "r", "iteration": 2,
                   "layers": [{"a": [0.123456789]},
                              {"z": [1.0], "a": [0.5], "delta": [msg["layers"][1]["delta"][0]]}],
                   "cost": {"total": 0.25, "per": [1.0, None]}, "target": 1}
    assert type(msg["iteration"]) is int and math.isnan(msg["layers"][1]["delta"][0])
    assert type(msg["layers"][1]["z"][0]) is float


def test_gradient_check_result_and_confusion():
    assert m.gradient_check_result("r", np.float32(0.5), 7.0, verdict="ok") == {
        "type": "gradient_check_result", "run_id": "r", "relative_difference": 0.5,
        "n_coordinates": 7, "verdict": "ok"}
    assert m.confusion(5, "r", 9.0, "test", [[1]], accuracy=1.0) == {
        "type": "confusion", "request_id": 5, "run_id": "r", "iteration": 9, "split": "test",
        "matrix": [[1]], "accuracy": 1.0}
    assert type(m.confusion(5, "r", 9.0, "test", [[1]])["iteration"]) is int


def test_history_columns_and_finished_flag():
    msg = m.history("r", [{"cost": 1.0}], {"kept": [0]}, 0)
    assert msg["finished"] is False and msg["metrics"]["cost"] == [1.0]
    assert msg["metrics"]["iteration"] == [None] and msg["kept"] == [0]


def test_error_replies_carry_the_code_field_and_what_is_known_of_the_request():
    assert m.error("busy", "wait", run_id="r") == {
        "type": "error", "code": "busy", "message": "wait", "field": None,
        "request_type": None, "request_id": None, "run_id": "r"}
    exc = invalid("max_iter", "too big")
    assert m.error_from(exc, {"type": "train", "request_id": 7}) == {
        "type": "error", "code": "invalid_field", "message": "max_iter: too big",
        "field": "max_iter", "request_type": "train", "request_id": 7}
    long = m.error_from(exc, {"type": "t" * 50, "request_id": 2**53})
    assert long["request_type"] == "t" * 40 and long["request_id"] is None
    assert m.error_from(exc, {"type": 5})["request_type"] is None
    assert m.error_from(exc, ["not", "a", "dict"])["request_type"] is None
    assert m.error_from(ProtocolError("bad_message", "no"))["request_id"] is None

