"""Protective headers on every response: the page, static files, the API, errors (issue 12)."""

from __future__ import annotations

import pytest

from server import create_app
from server.headers import content_security_policy


@pytest.fixture
def client(tmp_path):
    return create_app({"TESTING": True, "MODELS_DIR": str(tmp_path)}).test_client()


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/", 200), ("GET", "/static/js/main.js", 200), ("GET", "/healthz", 200),
    ("GET", "/api/datasets", 200), ("GET", "/api/nope", 404), ("GET", "/nope", 404),
    ("POST", "/api/predict", 400), ("GET", "/api/predict", 405),
])
def test_every_response_carries_the_protective_headers(client, method, path, status):
    response = client.open(path, method=method, base_url="http://lab.example:8000")
    response.close()  # a static file's stream
    assert response.status_code == status
    csp = directives(response)
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["connect-src"] == ["'self'", "ws://lab.example:8000", "wss://lab.example:8000"]
    every_source = {s for sources in csp.values() for s in sources}
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"} & every_source
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_origin_refusal_carries_them_too(client):
    response = client.post("/api/models?name=x", data=b"x", headers={"Origin": "http://evil"})
    assert response.status_code == 403 and "frame-ancestors 'none'" in \
        response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("host", ["evil; script-src *", "a b", "x'y", ""])
def test_a_strange_host_header_never_reaches_the_policy(host):
    policy = content_security_policy(host)
    assert "ws:" not in policy and "script-src 'self';" in policy and "*" not in policy


def test_an_ipv6_host_gets_its_websocket_sources():
    assert "ws://[::1]:5000 wss://[::1]:5000" in content_security_policy("[::1]:5000")
