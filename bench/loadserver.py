"""The server under test, started as a subprocess on a free loopback port.

``python -m server`` (the development server) or the classroom gunicorn command
read from docs/deploy.md; output captured in a log file (for tracebacks); threads
and memory of the serving process read from /proc. Nothing imports ``server``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from loadlib import HOST, ROOT, wait_healthy

TRACEBACK = "Traceback (most recent call last)"
# The classroom command, used only when docs/deploy.md has none we can read.
FALLBACK_GUNICORN = ('gunicorn -k gthread --workers 1 --threads 64 --bind 0.0.0.0:8000 '
                     '"server:create_app()"')


def free_port() -> int:
    """Return a TCP port that is free on the loopback interface right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def proc_status(pid: int, field: str) -> int:
    """One number of /proc/<pid>/status: ``VmRSS`` (kB), ``Threads``, ..."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(f"/proc/{pid}/status has no {field}")


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (gunicorn's workers of an arbiter)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def documented_gunicorn_command(port: int, python: str = sys.executable):
    """``(argv, env)`` of the classroom command in docs/deploy.md, on 127.0.0.1:port.

    The environment assignments and options are the document's; the bind address
    becomes loopback, ``--graceful-timeout 2`` and ``--no-control-socket`` are added
    (so that a test stops quickly and leaves no socket file), and gunicorn runs
    under ``python -m`` of the given interpreter.
    """
    text = (ROOT / "docs" / "deploy.md").read_text()
    lines = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S)
             for line in block.replace("\\\n", " ").splitlines()
             if "gunicorn" in line and "create_app" in line]
    tokens = shlex.split(lines[0] if lines else FALLBACK_GUNICORN)
    env = {}
    while tokens and re.match(r"[A-Za-z_][A-Za-z0-9_]*=", tokens[0]):
        key, value = tokens.pop(0).split("=", 1)
        env[key] = value
    tokens.pop(0)  # the gunicorn executable
    app, args, skip = tokens.pop(), [], False
    for token in tokens:
        if skip:
            skip = False
        elif token in ("--bind", "-b", "--graceful-timeout"):
            skip = True
        elif not token.startswith(("--bind=", "--graceful-timeout=")):
            args.append(token)
    args += ["--bind", f"{HOST}:{port}", "--graceful-timeout", "2"]
    if "--no-control-socket" not in args:
        args.append("--no-control-socket")
    return [python, "-m", "gunicorn", *args, app], env


class ServerProcess:
    """The server in a subprocess on a free loopback port, its output in a log file.

    ``kind`` is ``"dev"`` (``python -m server``) or ``"gunicorn"`` (docs/deploy.md).
    ``config`` adds ``BACKPROP_LAB_<KEY>`` settings (JSON-encoded here). Use as a
    context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, kind: str, workdir: Path, config: dict | None = None,
                 python: str = sys.executable):
        if kind not in ("dev", "gunicorn"):
            raise ValueError(f"kind={kind!r}: allowed 'dev' or 'gunicorn'")
        self.kind = kind
        self.port = free_port()
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        self.models_dir = workdir / "models"
        self.log_path = workdir / f"{kind}-{self.port}.log"
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1",
                    "BACKPROP_LAB_MODELS_DIR": json.dumps(str(self.models_dir))}
        self.env.update({f"BACKPROP_LAB_{k}": json.dumps(v) for k, v in (config or {}).items()})
        self.command_env = {}  # the document's environment assignments, for display
        if kind == "dev":
            self.command = [python, "-m", "server", "--host", HOST, "--port", str(self.port),
                            "--models-dir", str(self.models_dir)]
        else:
            self.command, extra = documented_gunicorn_command(self.port, python)
            self.env.update(extra)
            self.command_env = extra
        self.proc = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start the server and return once ``/healthz`` answers."""
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        try:
            wait_healthy(self.port, timeout, self.proc)
        except BaseException:
            self.stop()
            raise
        return self

    def pid(self, timeout: float = 30.0) -> int:
        """The pid that serves requests: the dev server, or gunicorn's (only) worker."""
        if self.kind == "dev":
            return self.proc.pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            workers = children(self.proc.pid)
            if len(workers) == 1:
                return workers[0]
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn {self.proc.pid} has no single worker: {workers}")

    def status(self, field: str) -> int:
        return proc_status(self.pid(), field)

    def log_text(self, start: int = 0) -> str:
        """The captured stdout and stderr from byte ``start`` on."""
        with open(self.log_path, "rb") as f:
            f.seek(start)
            return f.read().decode("utf-8", "replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def tracebacks(self, start: int = 0) -> int:
        return self.log_text(start).count(TRACEBACK)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``; gunicorn's workers too."""
        if self.proc is None:
            return
        workers = children(self.proc.pid) if self.kind == "gunicorn" else []
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for pid in workers:  # an arbiter that was killed leaves its worker behind
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._log:
            self._log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def settle(server: ServerProcess, field: str, target: int, timeout: float = 10.0) -> int:
    """Wait (up to ``timeout``) until /proc's ``field`` of the server is at most ``target``."""
    deadline = time.monotonic() + timeout
    while True:
        value = server.status(field)
        if value <= target or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
