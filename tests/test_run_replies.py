"""Replies the protocol document promises for a run's end (issue 12): controls on a
finished run, every `done` field on a run that trained nothing, request ids."""

from __future__ import annotations

import json

import pytest
from test_training import FakeClient, make_lab, train

from server import protocol
from server.network import NeuralNetwork
from server.training import Session


@pytest.fixture
def session(tmp_path):
    client = FakeClient()
    session = Session(client, make_lab(tmp_path), name="replies")
    yield session, client
    session.close()


@pytest.mark.parametrize("control", ["pause", "resume", "step", "stop"])
def test_a_control_on_a_finished_run_is_refused_naming_the_run(session, control):
    session, client = session
    train(session, run_id="r", max_iter=3)
    client.wait_for("done")
    session.receive(json.dumps({"type": control, "run_id": "r"}))
    error = client.wait_for("error")
    assert error["code"] == "invalid_field" and error["field"] == "run_id"
    assert error["request_type"] == control and "finished" in error["message"]
    after_done = client.frames[client.frames.index(client.of("done")[0]):]
    assert not [m for m in after_done if m["type"] == "state"]


def test_a_second_stop_is_answered_too(session):
    session, client = session
    train(session, run_id="r", max_iter=2000, delay_ms=200)
    client.wait_for("iteration")
    session.receive(json.dumps({"type": "pause", "run_id": "r"}))
    client.wait_for("state", state="paused")
    for _ in range(2):
        session.receive(json.dumps({"type": "stop", "run_id": "r"}))
    client.wait_for("done")
    assert len(client.of("state", "r")) >= 3  # paused, stopping, stopping
    assert [m["state"] for m in client.of("state", "r")][-2:] == ["stopping", "stopping"]


def test_done_of_a_failed_run_has_every_documented_field_null(session, monkeypatch):
    def broken_fit(self, *args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(NeuralNetwork, "fit", broken_fit)
    session, client = session
    train(session, max_iter=5)
    done = client.wait_for("done")
    assert done["reason"] == "error"
    assert set(protocol.DONE_FIELDS) <= set(done)
    metrics = protocol.DONE_FIELDS[1:-1]  # n_fev .. n_misclassified
    assert {k: done[k] for k in metrics} == dict.fromkeys(metrics)
    # nothing trained; only iteration 0 (the initial weights) was streamed
    assert done["n_iter"] == 0 and 0 <= done["streaming_time"] < 1


@pytest.mark.parametrize(("request_id", "echoed"), [
    (2**53 - 1, True), (-(2**53 - 1), True), (2**53, False), ("x" * 64, True),
    ("x" * 65, False), (True, False),
])
def test_an_error_echoes_only_a_request_id_the_document_allows(session, request_id, echoed):
    session, client = session
    session.receive(json.dumps({"type": "predict", "request_id": request_id,
                                "vector": [0.5, 0.5]}))
    error = client.wait_for("error")
    assert error["request_id"] == (request_id if echoed else None)
    assert error["field"] == ("run_id" if echoed else "request_id")
