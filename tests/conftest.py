"""Shared fixtures: the app, a test client, and a real server on a free loopback port.

Stable API (the browser tests rely on it):

``live_server``  (session scope) a :class:`LiveServer` running ``create_app`` with the
                 default limits and a temporary models directory, on 127.0.0.1 and a
                 free port, served by Werkzeug's threaded server in a daemon thread:
                 ``.url`` ("http://127.0.0.1:PORT", no trailing slash), ``.ws_url``
                 ("ws://127.0.0.1:PORT/ws"), ``.host``, ``.port``, ``.app``,
                 ``.models_dir`` (a pathlib.Path).
``make_live_server(config)``  (function scope) the same with extra config keys, for
                 tests that need other limits; stopped at the end of the test.
``ws_connect(server=None, **kw)``  opens a :class:`WSClient` (websocket-client) to
                 ``server.ws_url`` (default: ``live_server``), closed after the test.
``app``, ``client``  ``create_app({"TESTING": True, ...})`` and its test client.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import websocket
from werkzeug.serving import make_server

from server import create_app
from server.protocol import decode_weights


def capped_wait(timeout: float) -> float:
    """``timeout``, or less under ``make mutate``: a mutant that stops a run from ending
    fails its test after ``BACKPROP_LAB_TEST_WAIT_CAP`` seconds (tools/mutmut_order.py
    sets it) instead of the full wait a real slow machine may need."""
    return min(timeout, float(os.environ.get("BACKPROP_LAB_TEST_WAIT_CAP", "inf")))


@dataclass
class LiveServer:
    """A real HTTP + WebSocket server on a loopback port."""

    app: object
    host: str
    port: int
    models_dir: Path
    _server: object = None
    _thread: threading.Thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws"

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def start_live_server(config: dict, models_dir: Path) -> LiveServer:
    """Start ``create_app(config)`` on 127.0.0.1 at a free port, in a daemon thread."""
    app = create_app({"TESTING": True, "MODELS_DIR": str(models_dir), **config})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    return LiveServer(app, "127.0.0.1", server.server_port, Path(models_dir), server, thread)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = start_live_server({}, tmp_path_factory.mktemp("models"))
    yield server
    server.stop()


@pytest.fixture
def make_live_server(tmp_path):
    servers = []

    def make(config=None):
        server = start_live_server(config or {}, tmp_path / f"models{len(servers)}")
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True, "MODELS_DIR": str(tmp_path / "models")})


@pytest.fixture
def client(app):
    return app.test_client()


class WSClient:
    """A blocking WebSocket client that reads the protocol's frames.

    ``recv()`` returns a dict for a text frame and ``("weights", header, thetas)``
    for a binary one; ``until(type)`` reads until a message of that type and
    returns every message read on the way (the last one is the match).
    """

    def __init__(self, url, timeout=30.0, **options):
        self.ws = websocket.create_connection(url, timeout=timeout, **options)
        self.ready = self.recv()
        assert self.ready["type"] == "ready", self.ready

    def send(self, message: dict | str):
        self.ws.send(message if isinstance(message, str) else json.dumps(message))

    def recv(self, timeout=None):
        if timeout is not None:
            self.ws.settimeout(timeout)
        frame = self.ws.recv()
        if isinstance(frame, bytes):
            header, thetas = decode_weights(frame)
            return {"type": "weights", **header, "thetas": thetas, "bytes": len(frame)}
        return json.loads(frame)

    def until(self, kind, timeout=60.0, run_id=None):
        timeout = capped_wait(timeout)
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind!r} within {timeout}s; got "
                                     f"{[m['type'] for m in seen][-20:]}")
            msg = self.recv(timeout=left)
            seen.append(msg)
            if msg["type"] == kind and (run_id is None or msg.get("run_id") == run_id):
                return seen

    def request(self, message: dict, reply_type, timeout=30.0):
        """Send and return the first reply of ``reply_type`` or ``error``."""
        self.send(message)
        deadline = time.monotonic() + timeout
        while True:
            msg = self.recv(timeout=max(0.01, deadline - time.monotonic()))
            if msg["type"] in (reply_type, "error"):
                return msg

    def close(self):
        self.ws.close()


@pytest.fixture
def ws_connect(live_server):
    clients = []

    def connect(server=None, **options):
        c = WSClient((server or live_server).ws_url, **options)
        clients.append(c)
        return c

    yield connect
    for c in clients:
        try:
            c.close()
        except OSError:
            pass
