"""`confusion`: a run's confusion matrix on a split at any kept iteration (issue 13's timeline)."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest
from test_training import FakeClient, make_lab

from server.datasets import load_dataset
from server.datasources.splits import train_validation_split
from server.training import Session

MAX_ITER = 8


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished digits20 run, 400-10-10, with every iteration's weights kept and streamed."""
    client = FakeClient()
    session = Session(client, make_lab(tmp_path_factory.mktemp("confusion")), name="confusion")
    session.client = client
    session.receive(json.dumps({"type": "train", "dataset": "digits20", "hidden_layers": [10],
                                "max_iter": MAX_ITER, "random_state": 2, "run_id": "r1",
                                "weights_interval_ms": 0, "delay_ms": 5}))
    client.wait_for("done")
    yield session
    session.close()


def ask(session, request_id, timeout=30.0, **fields):
    """Send a `confusion` request; return its answer (a `confusion` or an `error`)."""
    session.receive(json.dumps({"type": "confusion", "run_id": "r1", "request_id": request_id,
                                **fields}))
    client = session.client
    deadline = time.monotonic() + timeout
    with client.cond:
        while time.monotonic() < deadline:
            found = [m for m in client.frames if m.get("request_id") == request_id
                     and m["type"] in ("confusion", "error")]
            if found:
                return found[-1]
            client.cond.wait(0.1)
    raise AssertionError(f"no answer to {request_id}")


def by_hand(weights, X, y, classes):
    """The confusion matrix of ``weights`` on ``(X, y)`` from scratch: counts[true, predicted]."""
    a = np.asarray(X, dtype=np.float64)
    for t in weights:  # (n_in + 1, n_out): the bias row first
        t = np.asarray(t, dtype=np.float64)
        a = 1 / (1 + np.exp(-(a @ t[1:] + t[0])))
    predicted = np.argmax(a, axis=1)
    true = np.searchsorted(classes, np.asarray(y))
    matrix = np.zeros((classes.size, classes.size), dtype=np.int64)
    for i, j in zip(true, predicted):
        matrix[i, j] += 1
    return matrix


def split_data(run, split):
    ds = load_dataset("digits20")
    if split == "test":
        return ds.X_test, ds.y_test
    X, y, X_val, y_val = train_validation_split(ds.X_train, ds.y_train, 0.1, 2)
    return (X, y) if split == "train" else (X_val, y_val)


@pytest.mark.parametrize("split", ["test", "train", "validation"])
def test_the_matrix_at_iteration_5_is_that_iterations_weights_on_the_split(trained, split):
    streamed = {w["iteration"]: w["thetas"] for w in trained.client.of("weights")}
    assert 5 in streamed  # weights_interval_ms 0: iteration 5's own frame
    reply = ask(trained, f"at5-{split}", iteration=5, split=split)
    assert reply["type"] == "confusion", reply
    assert (reply["iteration"], reply["split"], reply["run_id"]) == (5, split, "r1")
    run = trained.run("r1")
    X, y = split_data(run, split)
    want = by_hand(streamed[5], X, y, np.arange(10))
    np.testing.assert_array_equal(reply["matrix"], want)
    # rows are the true class: each row adds up to that class's samples in the split
    np.testing.assert_array_equal(np.sum(reply["matrix"], axis=1), np.bincount(y, minlength=10))
    assert reply["n_samples"] == len(y)
    assert reply["accuracy"] == pytest.approx(np.trace(want) / len(y))
    np.testing.assert_allclose(reply["class_accuracy"], np.diag(want) / want.sum(axis=1),
                               atol=5e-7)  # sent to 6 decimals


def test_a_rewound_matrix_differs_from_the_final_one_which_is_dones(trained):
    done = trained.client.of("done")[0]
    final = ask(trained, "final")  # no iteration: the newest kept, the final weights
    assert final["iteration"] == done["n_iter"] == MAX_ITER
    assert final["matrix"] == done["confusion_matrix"]
    early = ask(trained, "early", iteration=2)
    assert early["matrix"] != final["matrix"]
    assert early["accuracy"] < final["accuracy"]


def test_the_validation_accuracy_per_class_is_what_the_strip_drew_for_that_iteration(trained):
    """The page's class strip shows the iterations' `class_accuracy` (validation): a rewound
    column from `confusion` must agree with it."""
    live = {m["iteration"]: m["class_accuracy"] for m in trained.client.of("iteration")}
    reply = ask(trained, "strip5", iteration=5, split="validation")
    np.testing.assert_allclose(reply["class_accuracy"], live[5], atol=1e-4)


@pytest.mark.parametrize(("fields", "field", "says"), [
    ({"iteration": MAX_ITER + 1}, "iteration",
     rf"is not kept; it keeps iterations [01] to {MAX_ITER}\b"),
    ({"iteration": -1}, "iteration", r"-1 is out of range \[0, 1000000000\]"),
    ({"iteration": "5"}, "iteration", r"must be an integer in \[0, 1000000000\]"),
    ({"split": "training"}, "split", r"'training' is not one of \['train', 'validation', 'test'\]"),
    ({"split": 3}, "split", "is not one of"),
    ({"run_id": "nope"}, "run_id", "no run 'nope'"),
    ({"colour": "red"}, "colour", "not a known field"),
])
def test_a_bad_request_gets_an_error_naming_the_field_and_the_range(trained, fields, field, says):
    reply = ask(trained, f"bad-{field}-{json.dumps(fields)}"[:60], **fields)
    assert reply["type"] == "error", reply
    assert reply["code"] == "invalid_field" and reply["field"] == field
    assert re.search(says, reply["message"]), reply["message"]
    assert reply["request_type"] == "confusion"
    assert ask(trained, f"after-{field}", iteration=3)["type"] == "confusion"  # still serving


def test_validation_of_a_run_without_one_is_refused_naming_split(tmp_path):
    client = FakeClient()
    session = Session(client, make_lab(tmp_path), name="noval")
    session.client = client
    try:
        session.receive(json.dumps({"type": "train", "dataset": "xor", "hidden_layers": [3],
                                    "max_iter": 3, "run_id": "r1",
                                    "validation_fraction": 0}))
        client.wait_for("done")
        reply = ask(session, "v", split="validation")
        assert reply["type"] == "error" and reply["field"] == "split"
        assert "no validation set" in reply["message"] and "'train' or 'test'" in reply["message"]
        train = ask(session, "t", split="train")
        assert np.sum(train["matrix"]) == train["n_samples"] == len(session.run("r1").train_set[1])
    finally:
        session.close()


def test_answers_are_cached_per_run_iteration_and_split_within_a_bound(trained):
    cache = trained.lab.confusions
    ask(trained, "c1", iteration=4, split="test")
    before = cache.computed
    assert ask(trained, "c2", iteration=4, split="test")["matrix"] == \
        ask(trained, "c1b", iteration=4, split="test")["matrix"]
    assert cache.computed == before  # dragging back over iteration 4: no new pass
    ask(trained, "c3", iteration=4, split="train")
    assert cache.computed == before + 1  # another split is another answer
    size, cache.size = cache.size, 2
    try:
        ask(trained, "c4", iteration=6, split="test")
        ask(trained, "c5", iteration=7, split="test")  # iteration 4's answers fall out
        assert len(cache._items) == 2
        n = cache.computed
        ask(trained, "c6", iteration=4, split="test")
        assert cache.computed == n + 1
    finally:
        cache.size = size
