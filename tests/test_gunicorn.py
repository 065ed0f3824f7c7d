"""The classroom deployment of docs/deploy.md: gunicorn, gthread workers, a real socket."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from loadserver import children, documented_gunicorn_command, free_port  # noqa: E402


@pytest.fixture
def gunicorn_server(tmp_path):
    """The command of docs/deploy.md, read from the document (bench/loadserver.py parses
    it: its environment and options, on a loopback port, ``--graceful-timeout 2``)."""
    env_models = tmp_path / "models"
    command, doc_env = documented_gunicorn_command(free_port())
    # SPT_NOENV: with setproctitle installed (mutmut brings it), gunicorn's process
    # titles would overwrite the environment that /proc/<pid>/environ shows
    env = {"PATH": "/usr/bin:/bin", "BACKPROP_LAB_MODELS_DIR": json.dumps(str(env_models)),
           "BACKPROP_LAB_BUSY_POLICY": '"queue"', "SPT_NOENV": "1", **doc_env}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr],
                              daemon=True)
    reader.start()
    log = []
    port = None
    deadline = time.monotonic() + 30
    while port is None and time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            assert proc.poll() is None, "gunicorn exited:\n" + "".join(log)
            continue
        log.append(line)
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
        port = found and int(found.group(1))
    assert port, "gunicorn did not start:\n" + "".join(log)
    yield port, proc, lines
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)
    reader.join(5)
    proc.stderr.close()


def test_gunicorn_serves_http_and_a_websocket_training(gunicorn_server):
    port, proc, _ = gunicorn_server
    deadline = time.monotonic() + 20
    while True:  # the worker boots after the arbiter says it listens
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                assert json.loads(r.read())["status"] == "ok"
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=30)
    assert json.loads(ws.recv())["type"] == "ready"
    ws.send(json.dumps({"type": "train", "dataset": "xor", "hidden_layers": [3],
                        "max_iter": 10, "random_state": 1}))
    kinds = []
    while "done" not in kinds:
        frame = ws.recv()
        kinds.append("weights" if isinstance(frame, bytes) else json.loads(frame)["type"])
    assert kinds[0] == "started" and "iteration" in kinds and "weights" in kinds
    # A second, long run is still going when the server is told to stop: the open
    # socket must not keep gunicorn alive past --graceful-timeout.
    ws.send(json.dumps({"type": "train", "dataset": "xor", "optimizer": "gd",
                        "max_iter": 2000, "delay_ms": 20}))
    assert json.loads(ws.recv())["type"] == "started"
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    assert time.monotonic() - t0 < 10
    ws.shutdown()


def test_the_documented_command_caps_the_malloc_arenas_of_the_worker(gunicorn_server):
    port, proc, _ = gunicorn_server
    deadline = time.monotonic() + 20
    environ = []
    while not environ:  # a worker still forking, or one that died, reads back empty
        assert time.monotonic() < deadline, f"no live worker; children {children(proc.pid)}"
        for pid in children(proc.pid):
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:  # gone since it was listed
                continue
            if environ != [b""]:
                break
            environ = []
        time.sleep(0.2)
    assert b"MALLOC_ARENA_MAX=2" in environ
