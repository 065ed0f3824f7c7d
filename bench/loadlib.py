"""The reliability suite's client (bench/load.py, tests/test_reliability*.py).

It meets the server from outside, as a classroom does: the wire protocol of
docs/protocol.md over websocket-client, HTTP over http.client, client threads and
latency statistics. Nothing imports the ``server`` package, so a refactor of its
internals cannot break the suite. Loopback (127.0.0.1) only. Starting the server is
``loadserver.py``'s job; the protocol fuzzer is ``loadfuzz.py``.
"""

from __future__ import annotations

import base64
import http.client
import json
import struct
import threading
import time
from pathlib import Path

import numpy as np
import websocket

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


# --------------------------------------------------------------------------- HTTP

class Reply:
    """An HTTP answer: ``status``, ``headers`` (lower-case names), ``body`` bytes."""

    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    def json(self):
        return json.loads(self.body)

    @property
    def is_json(self) -> bool:
        return self.headers.get("content-type", "").startswith("application/json")


class Http:
    """One keep-alive HTTP/1.1 connection, as a browser tab holds; reopened when closed."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.port, self.timeout = port, timeout
        self._conn = None

    def request(self, method, path, body=None, headers=None) -> Reply:
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        for attempt in (0, 1):
            reused = self._conn is not None
            if not reused:
                self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            t0 = time.perf_counter()
            try:
                self._conn.request(method, path, body, headers)
                resp = self._conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt or not reused:  # only a stale kept-alive connection is retried
                    raise
                continue
            seconds = time.perf_counter() - t0
            if resp.will_close:
                self.close()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data,
                         seconds)

    def get(self, path, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw) -> Reply:
        return self.request("POST", path, body, **kw)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def fetch(port: int, method: str, path: str, body=None, timeout: float = 30.0) -> Reply:
    """One request on a connection of its own, closed after the answer."""
    http = Http(port, timeout)
    try:
        return http.request(method, path, body)
    finally:
        http.close()


def wait_healthy(port: int, timeout: float, proc=None) -> float:
    """Poll ``/healthz`` until it answers 200; return the seconds it took."""
    t0 = time.monotonic()
    while True:
        try:
            if fetch(port, "GET", "/healthz", timeout=2.0).status == 200:
                return time.monotonic() - t0
        except (OSError, http.client.HTTPException):
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"/healthz did not answer within {timeout} s")
        time.sleep(0.02)


def wait_idle(port: int, timeout: float = 60.0) -> dict:
    """Poll ``/healthz`` until no session is open and no training runs or waits."""
    deadline = time.monotonic() + timeout
    while True:
        health = fetch(port, "GET", "/healthz").json()
        t = health["trainings"]
        if health["sessions"] == 0 and t["running"] == 0 and t["queued"] == 0:
            return health
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server is not idle after {timeout} s: {health}")
        time.sleep(0.05)


# --------------------------------------------------------------------------- WebSocket

class ServerClosed(Exception):
    """The server closed the socket; ``code`` is the close code (None: no close frame)."""

    def __init__(self, code):
        super().__init__(f"the server closed the socket (code {code})")
        self.code = code


class WsClient:
    """A blocking protocol client: ``recv()`` gives a dict per frame (binary: weights)."""

    def __init__(self, port: int, timeout: float = 30.0, **options):
        self.ws = websocket.create_connection(f"ws://{HOST}:{port}/ws", timeout=timeout,
                                              **options)
        self.ready = self.recv()
        if self.ready.get("type") != "ready":
            raise RuntimeError(f"expected 'ready' first, got {self.ready}")

    def send(self, message):
        """Send a dict or str as a text frame, bytes as a binary frame."""
        if isinstance(message, (bytes, bytearray)):
            self.ws.send_binary(bytes(message))
        else:
            self.ws.send(message if isinstance(message, str) else json.dumps(message))

    def recv(self, timeout: float | None = None) -> dict:
        if timeout is not None:
            self.ws.settimeout(max(0.001, timeout))
        try:
            opcode, data = self.ws.recv_data()
        except (websocket.WebSocketConnectionClosedException, ConnectionError) as exc:
            raise ServerClosed(None) from exc
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise ServerClosed(struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005)
        if opcode == websocket.ABNF.OPCODE_BINARY:
            return decode_weights_header(data)
        return json.loads(data)

    def until(self, accept, timeout: float = 60.0) -> list[dict]:
        """Read until ``accept(msg)`` is true (or a type name matches); return all read."""
        if isinstance(accept, str):
            kind = accept
            accept = lambda m: m["type"] == kind  # noqa: E731
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no match within {timeout} s; last types "
                                   f"{[m['type'] for m in seen][-10:]}")
            try:
                msg = self.recv(timeout=left)
            except websocket.WebSocketTimeoutException:
                continue
            seen.append(msg)
            if accept(msg):
                return seen

    def close(self):
        try:
            self.ws.close(timeout=1)
        except (OSError, websocket.WebSocketException):
            pass


def decode_weights_header(frame: bytes) -> dict:
    """The JSON header of a binary `weights` frame, plus its size in ``bytes``."""
    (n,) = struct.unpack_from("<I", frame, 0)
    return {**json.loads(frame[4:4 + n]), "type": "weights", "bytes": len(frame)}


# --------------------------------------------------------------------------- inputs

def train_message(run_id=None, dataset="digits20", max_iter=20, **fields) -> dict:
    """A `train` request: TNC, one hidden layer of 25, a fixed seed by default."""
    msg = {"type": "train", "dataset": dataset, "hidden_layers": [25], "optimizer": "TNC",
           "max_iter": max_iter, "random_state": 0, **fields}
    if run_id:
        msg["run_id"] = run_id
    return msg


def canvas_drawing(side: int = 280, seed: int = 0) -> dict:
    """A ``side``x``side`` gray8 drawing of a thick "7" (white ink on black), as the page sends."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side] / side
    ink = np.zeros((side, side), dtype=bool)
    jitter = rng.uniform(-0.03, 0.03, 4)
    strokes = [((0.25, 0.2 + jitter[0]), (0.75, 0.2 + jitter[1])),
               ((0.75, 0.2 + jitter[1]), (0.4 + jitter[2], 0.85 + jitter[3]))]
    for (x0, y0), (x1, y1) in strokes:
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        ink |= np.hypot(x - x0 - t * dx, y - y0 - t * dy) < 0.05
    data = base64.b64encode((ink * 255).astype(np.uint8).tobytes()).decode("ascii")
    return {"width": side, "height": side, "format": "gray8", "data": data}


def sample_vector(port: int, dataset="digits20", index=0) -> list[float]:
    """One test-set image of ``dataset`` as a list of floats in [0, 1] (from HTTP)."""
    reply = fetch(port, "GET", f"/api/datasets/{dataset}/samples?split=test&start={index}"
                  "&count=1&format=list")
    return reply.json()["images"][0]


def train_and_save(port: int, name: str, max_iter: int = 20, timeout: float = 120.0) -> dict:
    """Train digits20 over the socket, `save` it as ``name``; return the `done` message."""
    client = WsClient(port, timeout=timeout)
    try:
        client.send(train_message("saved", max_iter=max_iter))
        done = client.until(lambda m: m["type"] in ("done", "error"), timeout)[-1]
        if done["type"] != "done":
            raise RuntimeError(f"train refused: {done}")
        client.send({"type": "save", "run_id": "saved", "name": name})
        reply = client.until(lambda m: m["type"] in ("saved", "error"), timeout)[-1]
        if reply["type"] != "saved":
            raise RuntimeError(f"save refused: {reply}")
        return done
    finally:
        client.close()


# --------------------------------------------------------------------------- churn

def disconnect_cycle(port: int, mid_run: bool, max_iter: int = 2, dataset: str = "digits20",
                     timeout: float = 60.0):
    """Connect, train, and disconnect: after the run's first iteration or after `done`."""
    client = WsClient(port, timeout=timeout)
    try:
        client.send(train_message(dataset=dataset, max_iter=max_iter))
        wanted = ("iteration", "done", "error") if mid_run else ("done", "error")
        last = client.until(lambda m: m["type"] in wanted, timeout)[-1]
        if last["type"] == "error":
            raise RuntimeError(f"train refused: {last}")
    finally:
        client.close()


def fill_pool(port: int, n_clients: int = 8, timeout: float = 120.0):
    """Train on ``n_clients`` connections at once, then once alone, and wait until idle.

    The first training starts threads that stay (BLAS pools), and gunicorn's gthread
    worker keeps a pool of request threads that grows to the most requests it has
    served at once (up to ``--threads``) and never shrinks: neither is a leak. After
    this, the pool holds more threads than one connection at a time needs, so a thread
    count that grows later is one that something left behind.
    """
    clients = [WsClient(port, timeout=timeout) for _ in range(n_clients)]
    for c in clients:
        c.send(train_message(dataset="xor", max_iter=2))
    for c in clients:
        c.until("done", timeout)
        c.close()
    disconnect_cycle(port, mid_run=False, dataset="xor", timeout=timeout)
    wait_idle(port, timeout)


# --------------------------------------------------------------------------- statistics

def percentile(values, q: float):
    """Nearest-rank percentile ``q`` (0-100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(np.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def latency_summary(seconds) -> dict:
    """``{"n", "p50", "p95", "max"}`` of a list of durations, in milliseconds."""
    ms = [1000 * s for s in seconds]
    return {"n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95),
            "max": max(ms) if ms else None}


# --------------------------------------------------------------------------- client threads

def run_threads(fn, n: int, timeout: float) -> list:
    """Call ``fn(i)`` in ``n`` threads; return the exceptions raised (a timeout is one)."""
    errors = []

    def wrap(i):
        try:
            fn(i)
        except Exception as exc:  # noqa: BLE001 - every failure is a figure
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    errors += [TimeoutError("a client thread outlived the scenario")
               for t in threads if t.is_alive()]
    return errors


class HealthProbe:
    """Poll ``/healthz`` every ``interval`` s in a thread; keep each latency."""

    def __init__(self, port, interval=0.1):
        self.port, self.interval = port, interval
        self.seconds, self.errors = [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="healthz")

    def _run(self):
        http = Http(self.port, timeout=10)
        while not self._stop.wait(self.interval):
            try:
                reply = http.get("/healthz")
                self.seconds.append(reply.seconds)
                self.errors += reply.status != 200
            except OSError:
                self.errors += 1
        http.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(15)
