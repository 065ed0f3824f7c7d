"""The wheel, installed as a user would: it serves everything and writes only to user dirs.

Builds the wheel without build isolation (hatchling is a test dependency, so nothing is
downloaded), installs it with ``--no-deps`` into a fresh virtual environment that sees
this environment's packages through a ``.pth`` file, and runs ``backprop-lab`` from an
empty folder with a fresh ``HOME``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
import websocket

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True,
                          timeout=180, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "--no-index", "-q", "-w", out, ROOT)
    [path] = out.glob("backprop_lab-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """A fresh venv with the wheel in it: ``(bin_dir, site_packages)``."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                   .stdout.strip())
    # Flask, numpy, pip... come from this environment (its .pth files are not run, so
    # the checkout's editable install stays out of sight).
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "_test_env.pth").write_text("\n".join(sorted(ours)) + "\n")
    run(python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
        "-q", wheel)
    return bin_dir, purelib


def tree_hashes(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


def wait_until_up(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            get(url + "healthz")
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("backprop-lab did not start:\n"
                                     + proc.communicate()[0]) from None
            time.sleep(0.2)


def until(ws, kind: str) -> dict:
    while True:
        frame = ws.recv()
        if isinstance(frame, str):
            message = json.loads(frame)
            if message["type"] == kind:
                return message
            assert message["type"] != "error", message


def test_the_wheel_carries_the_page_and_data_but_no_cache(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"server", f"{wheel.name.split('-py3')[0]}.dist-info"}, tops
    for needed in ("server/templates/index.html", "server/static/js/main.js",
                   "server/data/mnist/train-images-idx3-ubyte.gz", "server/data/optdigits.npz",
                   "server/data/semeion.npz", "server/paths.py"):
        assert needed in names
    assert not [n for n in names if "/cache/" in n or "__pycache__" in n]
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata and "Classifier: Framework :: Flask" in metadata
    assert "Description-Content-Type: text/markdown" in metadata and "make run" in metadata
    assert "Project-URL" not in metadata  # none invented


def test_an_installed_wheel_serves_trains_and_saves_outside_the_package(installed, tmp_path):
    bin_dir, site = installed
    package = site / "server"
    before = tree_hashes(package)
    home, cwd = tmp_path / "home", tmp_path / "empty"
    home.mkdir()
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "BACKPROP_LAB_", "PYTHON"))}
    env["HOME"] = str(home)

    version = run(bin_dir / "backprop-lab", "--version", cwd=cwd, env=env).stdout
    assert re.fullmatch(r"backprop-lab \d+\.\d+\.\d+\S*\n", version), version
    assert run(bin_dir / "python", "-m", "server", "--version", cwd=cwd, env=env).stdout == version

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen([str(bin_dir / "backprop-lab"), "--port", str(port)], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_up(url, proc)
        status, _, page = get(url)
        assert status == 200 and b'<script type="module" src="/static/js/main.js">' in page
        for asset in re.findall(rb'(?:src|href)="(/static/[^"]+)"', page):
            status, kind, body = get(url + asset.decode()[1:])
            assert status == 200 and body, asset
        assert "javascript" in get(url + "static/js/main.js")[1]

        ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=60)
        try:
            until(ws, "ready")
            ws.send(json.dumps({"type": "train", "run_id": "r1", "dataset": "digits20",
                                "hidden_layers": [8], "max_iter": 3, "random_state": 0}))
            assert until(ws, "done")["n_iter"] >= 1
            ws.send(json.dumps({"type": "save", "run_id": "r1", "name": "from-wheel"}))
            assert until(ws, "saved")["name"] == "from-wheel"
        finally:
            ws.close()
        models = json.loads(get(url + "api/models")[2])
        assert [m["name"] for m in models] == ["from-wheel"]
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()

    # Writable things went to the user's dirs (Linux rules here), none into the package.
    assert (home / ".local/share/backprop-lab/models/from-wheel.npz").is_file()
    assert list((home / ".cache/backprop-lab").glob("digits20-*.npz"))
    assert tree_hashes(package) == before
    assert not list(cwd.iterdir())
