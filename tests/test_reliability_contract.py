"""Where the server and docs/protocol.md must agree (issue 12, item 1), checked from outside.

Each test reads the document's promise and asks a real server (a subprocess on a
free loopback port) for it: HTTP errors under /api/ are the documented JSON
`error` (404, the Origin refusal's 403, 413) echoing the request's ``request_id``;
every control message gets a reply; `done` of a run stopped while queued has every
documented field, its metrics ``null``; a text frame that is not UTF-8 ends with a
WebSocket close frame.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import loadlib  # noqa: E402
from loadserver import ServerProcess  # noqa: E402

UPLOAD_CAP = 1000  # MAX_UPLOAD_BYTES here: requests past it + 1 MB are cut off by Flask
DOC = (ROOT / "docs" / "protocol.md").read_text()
ERROR_FIELDS = {"type", "code", "message", "field", "request_type", "request_id"}
DONE_FIELDS = ("run_id", "reason", "message", "n_iter", "n_fev", "elapsed", "cost", "val_cost",
               "train_accuracy", "val_accuracy", "test_accuracy", "confusion_matrix",
               "misclassified", "misclassified_predicted", "n_misclassified", "streaming_time")
METRICS = DONE_FIELDS[5:-1]  # null when nothing was trained; streaming_time may be 0


def documented_error_codes() -> set[str]:
    section = DOC.split("### `error`", 1)[1].split("###", 1)[0]
    codes = re.search(r'"code": (.*?), "message"', section, re.S).group(1)
    return set(re.findall(r'"([a-z_]+)"', codes))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    config = {"MAX_UPLOAD_BYTES": UPLOAD_CAP, "MAX_CONCURRENT_TRAININGS": 1}
    with ServerProcess("dev", tmp_path_factory.mktemp("contract"), config) as server:
        yield server


def assert_json_error(reply, status, code=None):
    assert reply.status == status
    assert reply.is_json, f"not JSON: {reply.headers.get('content-type')} {reply.body[:80]!r}"
    body = reply.json()
    assert set(body) == ERROR_FIELDS and body["type"] == "error"
    assert body["code"] in documented_error_codes()
    assert code is None or body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert body["request_type"] is None or not body["request_type"].startswith("api."), \
        "request_type echoes Flask's endpoint name"
    return body


def test_the_document_lists_the_error_codes():
    assert {"invalid_field", "bad_message", "no_model", "too_large"} <= documented_error_codes()


def test_an_unknown_route_under_api_is_the_json_error_with_404(server):
    assert_json_error(loadlib.fetch(server.port, "GET", "/api/no-such-thing"), 404)


def test_a_write_from_another_origin_is_refused_with_the_json_error_and_403(server):
    http = loadlib.Http(server.port)
    reply = http.post("/api/predict", {"model": "m", "vector": [0.5], "request_id": 5},
                      headers={"Origin": "http://evil.example"})
    http.close()
    assert_json_error(reply, 403)


def test_a_body_past_the_request_limit_is_the_json_error_too_large_with_413(server):
    reply = loadlib.fetch(server.port, "POST", "/api/models?name=big",
                          b"x" * (UPLOAD_CAP + 1_100_000))
    assert_json_error(reply, 413, "too_large")


def test_an_upload_past_max_upload_bytes_is_the_json_error_too_large(server):
    reply = loadlib.fetch(server.port, "POST", "/api/models?name=big", b"x" * (UPLOAD_CAP + 10))
    assert_json_error(reply, 413, "too_large")


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"model": "no-such-model", "vector": [0.5] * 400}, 404, "no_model"),
    ({"model": "no-such-model", "vector": "not a list"}, 400, "invalid_field"),
])
@pytest.mark.parametrize("request_id", [41, "draw-7"])
def test_an_http_predict_error_echoes_the_request_id_and_type(server, body, status, code,
                                                              request_id):
    reply = loadlib.fetch(server.port, "POST", "/api/predict",
                          {**body, "request_id": request_id})
    error = assert_json_error(reply, status, code)
    assert error["request_id"] == request_id
    assert error["request_type"] == "predict"


def test_an_unknown_message_type_error_echoes_its_request_id(server):
    client = loadlib.WsClient(server.port)
    client.send({"type": "no-such-type", "request_id": "q-1"})
    error = client.until("error", timeout=10)[-1]
    client.close()
    assert error["code"] == "unknown_type"
    assert error["request_id"] == "q-1"
    assert error["request_type"] == "no-such-type"


@pytest.mark.parametrize("control", ["pause", "resume", "step", "stop"])
def test_a_control_on_a_finished_run_is_answered(server, control):
    client = loadlib.WsClient(server.port)
    client.send(loadlib.train_message("r", dataset="xor", max_iter=2))
    client.until("done", timeout=60)
    client.send({"type": control, "run_id": "r"})
    client.send({"type": "predict", "request_id": "sync"})  # answered with an error, last
    seen = client.until(lambda m: m.get("request_id") == "sync", timeout=10)
    client.close()
    answers = [m for m in seen[:-1] if m["type"] in ("state", "error") and
               (m.get("run_id") == "r" or m.get("request_type") == control)]
    assert answers, f"no reply to {control!r} on a finished run; got {seen}"


def test_done_of_a_run_stopped_while_queued_has_every_field_with_null_metrics(server):
    busy = loadlib.WsClient(server.port)  # holds the only training slot
    busy.send(loadlib.train_message("long", optimizer="gd", hidden_layers=[100], max_iter=2000))
    busy.until("iteration", timeout=60)
    client = loadlib.WsClient(server.port)
    try:
        client.send(loadlib.train_message("q", dataset="xor", max_iter=2))
        client.until(lambda m: m["type"] == "state" and m["state"] == "queued", timeout=30)
        client.send({"type": "stop", "run_id": "q"})
        done = client.until("done", timeout=30)[-1]
    finally:
        client.close()
        busy.close()
    assert done["reason"] == "stopped" and done["n_iter"] == 0
    assert set(DONE_FIELDS) <= set(done), f"missing {set(DONE_FIELDS) - set(done)}"
    assert {k: done[k] for k in METRICS} == dict.fromkeys(METRICS)
    assert done["streaming_time"] in (None, 0)


def test_a_text_frame_that_is_not_utf8_ends_with_a_close_frame_every_time(server):
    # RFC 6455 8.1: the connection fails, and the close code for it is 1007. Today the
    # development server sometimes writes an HTTP response into the upgraded socket,
    # and gunicorn sometimes drops the connection with no close frame.
    codes = []
    for _ in range(40):
        client = loadlib.WsClient(server.port, timeout=10)
        client.ws.send(b'{"type": "stop", "run_id": "\xff"}', opcode=websocket.ABNF.OPCODE_TEXT)
        try:
            client.until(lambda m: False, timeout=10)
        except loadlib.ServerClosed as exc:
            codes.append(exc.code)
        except websocket.WebSocketException as exc:  # bytes that are not a frame
            codes.append(repr(exc))
        client.ws.shutdown()
    assert set(codes) == {1007}
