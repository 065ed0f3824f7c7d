"""The real thing: a server on a free loopback port and real WebSocket clients."""

from __future__ import annotations

import base64
import json
import threading
import time

import numpy as np
import pytest
import websocket

from server import protocol


def toy_train(**fields):
    return {"type": "train", "dataset": "xor", "hidden_layers": [4], "probe": [0, 1],
            "random_state": 0, "max_iter": 30, **fields}


def test_ready_lists_protocol_limits_and_datasets(ws_connect):
    ready = ws_connect().ready
    assert ready["protocol"] == protocol.PROTOCOL_VERSION
    assert ready["limits"]["max_units"] == 512
    assert {"digits20", "xor"} <= {d["id"] for d in ready["datasets"]}


def test_a_full_training_run_over_the_socket(ws_connect):
    ws = ws_connect()
    ws.send(toy_train(max_iter=40, weights_interval_ms=0))
    frames = ws.until("done")
    iterations = [m for m in frames if m["type"] == "iteration"]
    numbers = [m["iteration"] for m in iterations]
    done = frames[-1]
    assert done["reason"] in ("max_iter", "converged") and done["n_iter"] > 10
    assert numbers == sorted(set(numbers)) and numbers[-1] == done["n_iter"]
    costs = [m["cost"] for m in iterations]
    assert all(b <= a + 1e-12 for a, b in zip(costs, costs[1:])) and costs[-1] < costs[0]
    assert frames[0]["type"] == "started" and frames[0]["layer_sizes"] == [2, 4, 2]
    weights = [m for m in frames if m["type"] == "weights"]
    assert weights[-1]["iteration"] == done["n_iter"] and weights[-1]["dtype"] == "float32"
    assert [t.shape for t in weights[-1]["thetas"]] == [(3, 4), (5, 2)]
    assert len(done["confusion_matrix"]) == 2


def test_pause_step_resume_stop_and_speed_over_the_socket(ws_connect):
    ws = ws_connect()
    ws.send(toy_train(max_iter=1000, optimizer="gd", delay_ms=30, run_id="r1"))
    seen = ws.until("iteration")[-1]["iteration"]
    ws.send({"type": "pause", "run_id": "r1"})
    frames = ws.until("state")
    assert frames[-1]["state"] == "paused"
    last = max([m["iteration"] for m in frames if m["type"] == "iteration"] or [seen])
    # drain what was in flight, then nothing more arrives while paused
    with pytest.raises(websocket.WebSocketTimeoutException):
        while True:
            msg = ws.recv(timeout=0.4)
            if msg["type"] == "iteration":
                last = msg["iteration"]
    ws.send({"type": "step", "run_id": "r1"})
    frames = ws.until("state", timeout=10)  # "running" (stepping)
    assert frames[-1]["state"] == "running" and frames[-1]["stepping"] is True
    frames = ws.until("state", timeout=10)  # paused again after one iteration
    assert frames[-1]["state"] == "paused"
    assert [m["iteration"] for m in frames if m["type"] == "iteration"] == [last + 1]
    ws.send({"type": "speed", "delay_ms": 0, "run_id": "r1"})
    ws.send({"type": "resume", "run_id": "r1"})
    ws.until("iteration")
    ws.send({"type": "stop", "run_id": "r1"})
    done = ws.until("done", timeout=20)[-1]
    assert done["reason"] == "stopped" and done["n_iter"] < 1000


def _drawn_digit_one(size=140):
    """A canvas with a thick vertical stroke, like a child's 1, as RGBA bytes."""
    canvas = np.zeros((size, size, 4), dtype=np.uint8)
    canvas[20:120, 62:78] = (0, 0, 0, 255)  # black ink, transparent paper
    return canvas


def test_predict_on_a_drawn_bitmap(ws_connect):
    ws = ws_connect()
    ws.send({"type": "train", "dataset": "digits20", "hidden_layers": [8], "max_iter": 3,
             "probe": [0], "validation_fraction": 0})
    started = ws.until("started", timeout=120)[-1]
    assert started["dataset"]["image_shape"] == [20, 20]
    ws.until("done", timeout=120)
    canvas = _drawn_digit_one()
    reply = ws.request({"type": "predict", "request_id": 1, "image": {
        "width": 140, "height": 140, "format": "rgba8",
        "data": base64.b64encode(canvas.tobytes()).decode()}}, "prediction")
    assert reply["type"] == "prediction", reply
    assert reply["request_id"] == 1 and reply["image_shape"] == [20, 20]
    image = np.array(reply["image"]).reshape(20, 20)
    assert image.max() > 0.5 and image.min() >= 0.0
    assert image[:, 8:12].sum() > image[:, :4].sum()  # the stroke stays in the middle
    assert [len(a) for a in reply["activations"]] == [400, 8, 10]
    assert abs(sum(reply["probabilities"]) - 1) < 1e-3
    assert reply["class_name"] == str(reply["label"]) and 0 <= reply["label"] <= 9
    gray = ws.request({"type": "predict", "request_id": 2, "image": {
        "width": 140, "height": 140, "format": "gray8",
        "data": base64.b64encode(np.full((140, 140), 255, np.uint8).tobytes()).decode()}},
        "prediction")
    assert gray["type"] == "error" and gray["field"] == "image"  # no ink at all


def _threads():
    return {t for t in threading.enumerate() if t.is_alive()}


def test_a_client_that_disconnects_mid_training_leaves_no_thread(live_server, ws_connect):
    before = _threads()
    ws = ws_connect()
    ws.send(toy_train(max_iter=2000, optimizer="gd", delay_ms=5))
    ws.until("iteration")
    during = _threads() - before
    assert any(t.name.startswith("train-") for t in during)
    ws.ws.sock.close()  # vanish without a close frame
    deadline = time.monotonic() + 10
    while _threads() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _threads() - before, sorted(t.name for t in _threads() - before)
    assert live_server.app.extensions["backprop_lab"].slots.snapshot()["running"] == 0


def test_twenty_clients_training_at_once_all_finish(ws_connect):
    clients = [ws_connect() for _ in range(20)]
    for i, ws in enumerate(clients):
        ws.send(toy_train(max_iter=15, random_state=i, run_id=f"c{i}",
                          weights_interval_ms=100))
    results = {}
    errors = []

    def wait(i, ws):
        try:
            results[i] = ws.until("done", timeout=120)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append((i, exc))

    threads = [threading.Thread(target=wait, args=(i, ws)) for i, ws in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(150)
    assert not errors
    assert len(results) == 20
    for i, frames in results.items():
        done = frames[-1]
        assert done["run_id"] == f"c{i}" and done["reason"] in ("max_iter", "converged")
        numbers = [m["iteration"] for m in frames if m["type"] == "iteration"]
        assert numbers[-1] == done["n_iter"] and numbers == sorted(set(numbers))


def test_a_client_that_stops_reading_does_not_hold_training_back(ws_connect):
    ws = ws_connect()
    before = {t for t in threading.enumerate() if t.name.startswith("train-")}
    # 645 KB of weights every iteration: 19 MB in all, far more than the socket
    # buffers hold while the client does not read.
    ws.send({"type": "train", "dataset": "xor", "hidden_layers": [400, 400],
             "optimizer": "gd", "batch_size": 1000, "max_iter": 30,
             "weights_interval_ms": 0, "probe": list(range(16)), "run_id": "flood"})
    deadline = time.monotonic() + 60
    time.sleep(0.5)
    while {t for t in threading.enumerate() if t.name.startswith("train-")} - before:
        assert time.monotonic() < deadline, "the run is blocked by a client that does not read"
        time.sleep(0.1)
    frames = ws.until("done", timeout=60)  # now read everything: intact and in order
    done = frames[-1]
    assert done["reason"] == "max_iter" and done["n_iter"] == 30
    numbers = [m["iteration"] for m in frames if m["type"] == "iteration"]
    assert numbers == sorted(set(numbers)) and numbers[-1] == 30
    weights = [m for m in frames if m["type"] == "weights"]
    assert weights[-1]["iteration"] == 30 and len(weights) < 30  # coalesced
    assert [t.shape for t in weights[-1]["thetas"]] == [(3, 400), (401, 400), (401, 2)]


MALFORMED = {
    "train": {"type": "train", "hidden_layers": [0]},
    "pause": {"type": "pause", "run_id": "nope"},
    "resume": {"type": "resume", "run_id": 5},
    "step": {"type": "step", "extra": 1},
    "stop": {"type": "stop", "run_id": ""},
    "speed": {"type": "speed", "delay_ms": -1},
    "predict": {"type": "predict", "vector": "x", "request_id": 9},
    "explain": {"type": "explain", "sample": {"index": -1}, "request_id": 10},
    "gradient_check": {"type": "gradient_check", "run_id": ["a"]},
    "save": {"type": "save", "name": "../../etc/passwd"},
    "share": {"type": "share", "run_id": "nope"},
    "follow": {"type": "follow", "token": "no/such"},
    "claim": {"type": "claim"},
    "history": {"type": "history", "run_id": "no such run"},
    "weights_at": {"type": "weights_at", "iteration": -1},
    "race": {"type": "race", "optimizers": ["TNC", "nope"]},
    "open_model": {"type": "open_model", "name": "../x"},
    "confusion": {"type": "confusion", "split": "everything", "request_id": 11},
}


def test_every_malformed_message_type_gets_an_error_and_the_socket_stays_usable(ws_connect):
    assert set(MALFORMED) == set(protocol.CLIENT_MESSAGES)
    ws = ws_connect()
    for kind, msg in MALFORMED.items():
        reply = ws.request(msg, "error")
        assert reply["type"] == "error" and reply["request_type"] == kind, reply
        assert reply["code"] in ("invalid_field", "no_model"), reply
    for raw in ["{", "[]", '{"type": "dance"}', '{"type": null}']:
        reply = ws.request(raw, "error")
        assert reply["code"] in ("bad_message", "unknown_type")
    ws.ws.send_binary(b"\x01\x02")
    assert ws.recv(timeout=5)["code"] == "bad_message"
    ws.send(toy_train(max_iter=5))  # still usable
    assert ws.until("done")[-1]["n_iter"] == 5


def test_an_oversized_message_closes_the_socket_with_1009(make_live_server):
    server = make_live_server({"MAX_MESSAGE_BYTES": 10_000})
    ws = websocket.create_connection(server.ws_url, timeout=10)
    json.loads(ws.recv())
    ws.send(json.dumps({"type": "predict", "vector": [0.5] * 5000}))
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(data[:2], "big") == 1009
    ws.shutdown()


def test_after_its_close_frame_the_server_ends_the_connection_itself(make_live_server):
    # Werkzeug kept the thread and the TCP connection until the client closed its
    # side, and sometimes wrote an HTTP response into the upgraded socket (issue 12).
    server = make_live_server({"MAX_MESSAGE_BYTES": 10_000})
    ws = websocket.create_connection(server.ws_url, timeout=10)
    json.loads(ws.recv())
    ws.send(json.dumps({"type": "predict", "vector": [0.5] * 5000}))
    ws.sock.settimeout(5)
    data = b""
    while chunk := ws.sock.recv(65536):  # times out if the server keeps the connection
        data += chunk
    assert data[0] == 0x88 and int.from_bytes(data[2:4], "big") == 1009  # the close frame
    assert len(data) == 2 + data[1]  # and nothing after it
    ws.sock.close()


def test_websocket_origin_must_match_the_host(live_server):
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(live_server.ws_url, timeout=5,
                                    origin="http://evil.example")
    assert info.value.status_code == 403
    ok = websocket.create_connection(live_server.ws_url, timeout=5, origin=live_server.url)
    assert json.loads(ok.recv())["type"] == "ready"
    ok.close()


def test_the_models_dir_gets_a_model_saved_over_the_socket(live_server, ws_connect, client):
    ws = ws_connect()
    ws.send(toy_train(max_iter=5))
    ws.until("done")
    assert ws.request({"type": "save", "name": "ws-saved"}, "saved")["name"] == "ws-saved"
    assert (live_server.models_dir / "ws-saved.npz").is_file()


# --------------------------------------------------------------------------- running it

def test_python_m_server_listens_on_loopback_and_says_where(tmp_path):
    import queue
    import re
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    import server

    root = Path(server.__file__).resolve().parent.parent
    with socket_free_port() as port:
        pass
    proc = subprocess.Popen([sys.executable, "-m", "server", "--port", str(port),
                             "--models-dir", str(tmp_path / "m")], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True)
    reader.start()
    try:
        seen = []
        deadline = time.monotonic() + 20
        while not any("listening on" in x for x in seen):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(seen)
            try:
                seen.append(lines.get(timeout=0.5))
            except queue.Empty:
                pass
        line = next(x for x in seen if "listening on" in x)
        assert re.search(rf"http://127\.0\.0\.1:{port}/ \(WebSocket at /ws\)", line), line
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=10)
        ws.recv()
        ws.send(json.dumps(toy_train(max_iter=3)))
        recv_until(ws, "done")
        ws.send(json.dumps({"type": "save", "name": "cli-saved"}))
        recv_until(ws, "saved")
        ws.close()
        assert (tmp_path / "m" / "cli-saved.npz").is_file()  # --models-dir is used
    finally:
        proc.terminate()
        proc.wait(10)
        reader.join(5)
        proc.stderr.close()


def recv_until(ws, kind):
    while True:
        frame = ws.recv()
        if isinstance(frame, str) and json.loads(frame)["type"] == kind:
            return


class socket_free_port:
    """``with socket_free_port() as port``: a port that was free a moment ago."""

    def __enter__(self):
        import socket
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()


def test_python_m_server_train_dispatches_to_the_cli(capsys, monkeypatch):
    from server.__main__ import main

    with pytest.raises(SystemExit) as info:
        main(["train", "--help"])
    assert info.value.code == 0
    assert "python -m server train" in capsys.readouterr().out
    import server
    monkeypatch.setitem(__import__("sys").modules, "server.cli", None)  # as if missing
    monkeypatch.delattr(server, "cli", raising=False)
    assert main(["train"]) == 2
    assert "command-line trainer is not available" in capsys.readouterr().err


def test_config_comes_from_the_environment(monkeypatch, tmp_path):
    from server import create_app

    monkeypatch.setenv("BACKPROP_LAB_MAX_UNITS", "8")
    monkeypatch.setenv("BACKPROP_LAB_BUSY_POLICY", '"refuse"')
    monkeypatch.setenv("BACKPROP_LAB_MODELS_DIR", json.dumps(str(tmp_path)))
    app = create_app()
    lab = app.extensions["backprop_lab"]
    assert lab.limits.max_units == 8 and lab.slots.policy == "refuse"
    assert str(lab.models_dir) == str(tmp_path)
    monkeypatch.setenv("BACKPROP_LAB_BUSY_POLICY", '"later"')
    with pytest.raises(ValueError, match="BUSY_POLICY"):
        create_app()
