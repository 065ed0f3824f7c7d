"""Every HTTP error under /api/ is the documented JSON `error` (issue 12)."""

from __future__ import annotations

import pytest

from server import create_app, protocol

FIELDS = {"type", "code", "message", "field", "request_type", "request_id"}


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True, "MODELS_DIR": str(tmp_path / "models"),
                       "MAX_UPLOAD_BYTES": 1000})


@pytest.fixture
def client(app):
    return app.test_client()


def error_of(response, status, code):
    assert response.status_code == status and response.is_json, response.data[:80]
    body = response.get_json()
    assert set(body) == FIELDS and body["code"] == code and body["message"]
    assert body["code"] in protocol.ERROR_CODES
    return body


def test_an_unknown_route_under_api_is_not_found_as_json(client):
    body = error_of(client.get("/api/nope"), 404, "not_found")
    assert "/api/nope" in body["message"] and body["request_type"] is None


def test_a_wrong_method_is_405_naming_the_allowed_ones(client):
    body = error_of(client.get("/api/predict"), 405, "bad_message")
    assert "POST" in body["message"] and body["request_type"] == "predict"


def test_the_origin_refusal_is_json_and_echoes_the_request_id(client):
    reply = client.post("/api/predict", json={"model": "m", "vector": [1], "request_id": 9},
                        headers={"Origin": "http://evil.example"})
    body = error_of(reply, 403, "forbidden")
    assert body["request_id"] == 9 and "evil.example" in body["message"]


def test_a_body_past_the_request_limit_is_too_large_as_json(client):
    body = error_of(client.post("/api/models?name=big", data=b"x" * 1_002_000,
                                content_type="application/octet-stream"), 413, "too_large")
    assert body["request_type"] == "upload_model"


def test_an_unexpected_failure_is_internal_as_json_and_logged(client, monkeypatch, caplog):
    import server.api

    def broken(*args, **kwargs):
        raise RuntimeError("simulated")

    monkeypatch.setattr(server.api, "_query_int", broken)
    body = error_of(client.get("/api/datasets/xor/samples?request_id=1"), 500, "internal")
    assert body["request_type"] == "samples" and "RuntimeError" in body["message"]
    assert "simulated" in caplog.text


def test_a_predict_error_echoes_the_documented_name_and_request_id(client):
    body = error_of(client.post("/api/predict", json={"model": "gone", "vector": [0.5],
                                                      "request_id": "draw-3"}), 404, "no_model")
    assert body["request_type"] == "predict" and body["request_id"] == "draw-3"


def test_outside_api_a_missing_page_stays_html(client):
    reply = client.get("/static/no-such-file.js")
    assert reply.status_code == 404 and reply.mimetype == "text/html"
