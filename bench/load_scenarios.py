"""The classroom scenarios of issue 12, each against one freshly started server.

A scenario is ``fn(server, scale) -> Result``: it drives a running
:class:`loadlib.ServerProcess` from client threads in this process and returns
rows of ``(figure, measured, target, verdict)``. ``Scale`` holds every count and
duration, so that ``--quick`` shrinks them all to seconds. Targets are the issue's
"Done when" figures; ``None`` means reported, not gated.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from functools import partial

import websocket
from loadfuzz import run_fuzz
from loadlib import (
    HealthProbe,
    Http,
    ServerClosed,
    WsClient,
    canvas_drawing,
    disconnect_cycle,
    fetch,
    fill_pool,
    latency_summary,
    run_threads,
    sample_vector,
    train_and_save,
    train_message,
    wait_healthy,
    wait_idle,
)
from loadserver import settle


@dataclass(frozen=True)
class Scale:
    """Every count and duration of the suite; ``QUICK`` runs in seconds."""

    students: tuple = (5, 15, 30)
    student_iters: int = 20
    draw_interval: float = 0.5
    socket_clients: int = 30
    socket_seconds: float = 30.0
    paced_clients: int = 100
    paced_seconds: float = 30.0
    b2b_clients: int = 100
    b2b_requests: int = 3000
    canvas_clients: int = 20
    canvas_requests: int = 300
    cycles: int = 300
    fuzz_frames: int = 10_000
    timeout: float = 600.0  # one scenario step, at most


FULL = Scale()
QUICK = Scale(students=(2, 4), student_iters=3, socket_clients=4, socket_seconds=3.0,
              paced_clients=10, paced_seconds=2.0, b2b_clients=10, b2b_requests=200,
              canvas_clients=2, canvas_requests=20, cycles=12, fuzz_frames=500, timeout=90.0)
POOL_FILL = 8  # connections opened at once before the cycles (see loadlib.fill_pool)
LONG_TRAIN = {"optimizer": "gd", "hidden_layers": [200], "max_iter": 2000}  # minutes of work


@dataclass
class Result:
    rows: list = field(default_factory=list)   # (figure, measured, target, ok | None)
    notes: list = field(default_factory=list)

    def add(self, figure, measured, target=None, ok=None):
        self.rows.append((figure, measured, target or "reported", ok))


def ms(value) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def lat(summary: dict) -> str:
    return f"p50 {ms(summary['p50'])}, p95 {ms(summary['p95'])}, max {ms(summary['max'])}"


# --------------------------------------------------------------------------- classroom

def _student(port, i, *, scale: Scale, drawing, out: dict):
    """Train, draw every ``draw_interval`` once the first iteration is in, until `done`."""
    client = WsClient(port, timeout=scale.timeout)
    run_id = f"s{i}"
    try:
        t0 = time.perf_counter()
        client.send(train_message(run_id, max_iter=scale.student_iters, random_state=i))
        first = sent = None
        next_draw, k = 0.0, 0
        deadline = time.monotonic() + scale.timeout
        while time.monotonic() < deadline:
            now = time.perf_counter()
            if first is not None and sent is None and now >= next_draw:
                k += 1
                client.send({"type": "predict", "request_id": k, "run_id": run_id,
                             "image": drawing})
                sent, next_draw = now, now + scale.draw_interval
            wait = next_draw - now if first is not None and sent is None else 1.0
            try:
                msg = client.recv(timeout=max(0.01, wait))
            except websocket.WebSocketTimeoutException:
                continue
            now = time.perf_counter()
            if msg["type"] == "iteration" and first is None:
                first = now - t0
                out["first"].append(first)
            elif msg["type"] == "prediction" and msg.get("request_id") == k:
                out["predict"].append(now - sent)
                sent = None
            elif msg["type"] == "error":
                out["errors"].append(msg)
                sent = None
                if msg.get("request_type") == "train":
                    return
            elif msg["type"] == "done":
                out["done"].append(msg["reason"])
                return
    finally:
        client.close()


def classroom(server, scale: Scale) -> Result:
    """N students train digits20 (TNC) and draw on its canvas while it trains."""
    result = Result()
    drawing = canvas_drawing()
    for n in scale.students:
        out = {"first": [], "predict": [], "done": [], "errors": []}
        t0 = time.monotonic()
        with HealthProbe(server.port) as probe:
            student = partial(_student, server.port, scale=scale, drawing=drawing, out=out)
            failures = run_threads(student, n, scale.timeout)
        wall = time.monotonic() - t0
        done = len(out["done"])
        health = latency_summary(probe.seconds)
        first = latency_summary(out["first"])
        result.add(f"{n} students: runs ending in `done`", f"{done} of {n}", f"{n} of {n}",
                   done == n)
        result.add(f"{n} students: time to first iteration", lat(first))
        result.add(f"{n} students: canvas predict during training",
                   f"{lat(latency_summary(out['predict']))} (n={len(out['predict'])})")
        result.add(f"{n} students: `/healthz` meanwhile", f"{lat(health)} (n={health['n']}, "
                   f"{probe.errors} errors)", "p95 ≤ 100 ms",
                   health["p95"] is not None and health["p95"] <= 100 and not probe.errors)
        result.add(f"{n} students: wall time, errors",
                   f"{wall:.1f} s, {len(out['errors'])} error replies, "
                   f"{len(failures)} client failures")
        for exc in failures[:3]:
            result.notes.append(f"{n} students: client failure {exc!r}")
        wait_idle(server.port, scale.timeout)
    return result


# --------------------------------------------------------------------------- socket predict

def _trained_client(port, i, scale: Scale) -> WsClient:
    client = WsClient(port, timeout=scale.timeout)
    client.send(train_message(f"p{i}", max_iter=1, random_state=i))
    last = client.until(lambda m: m["type"] in ("done", "error"), scale.timeout)[-1]
    if last["type"] != "done":
        raise RuntimeError(f"setup training refused: {last}")
    return client


def _answers(request_id, msg) -> bool:
    return msg.get("request_id") == request_id


def _drawer(client: WsClient, i, scale: Scale, drawing, out):
    """Send a drawing every 0.25 s (closed loop: never two in flight) for the duration."""
    t_end = time.perf_counter() + scale.socket_seconds
    k = 0
    while (now := time.perf_counter()) < t_end:
        k += 1
        client.send({"type": "predict", "request_id": k, "run_id": f"p{i}", "image": drawing})
        reply = client.until(partial(_answers, k), scale.timeout)[-1]
        if reply["type"] == "prediction":
            out["predict"].append(time.perf_counter() - now)
        else:
            out["errors"].append(reply)
        time.sleep(max(0.0, now + 0.25 - time.perf_counter()))


def socket_predict(server, scale: Scale) -> Result:
    """Socket predicts of a 280x280 canvas, every 250 ms per client, while two runs train."""
    result = Result()
    n = scale.socket_clients
    clients = [None] * n
    failures = run_threads(lambda i: clients.__setitem__(i, _trained_client(server.port, i,
                                                                            scale)),
                           n, scale.timeout)
    if failures:
        raise RuntimeError(f"setup failed: {failures[0]!r}")
    trainers = [WsClient(server.port, timeout=scale.timeout) for _ in range(2)]
    for j, trainer in enumerate(trainers):
        trainer.send(train_message(f"long{j}", **LONG_TRAIN))
        trainer.until("iteration", scale.timeout)
    out = {"predict": [], "errors": []}
    drawing = canvas_drawing()
    t0 = time.monotonic()
    failures = run_threads(lambda i: _drawer(clients[i], i, scale, drawing, out), n,
                           scale.socket_seconds + scale.timeout)
    wall = time.monotonic() - t0
    running = fetch(server.port, "GET", "/healthz").json()["trainings"]["running"]
    for c in clients + trainers:
        c.close()
    summary = latency_summary(out["predict"])
    result.add(f"{n} clients x 280x280 gray8 every 250 ms, 2 trainings running",
               f"{lat(summary)} (n={summary['n']}, {summary['n'] / wall:.0f}/s)",
               "p95 ≤ 100 ms", summary["p95"] is not None and summary["p95"] <= 100)
    result.add("errors", f"{len(out['errors'])} error replies, {len(failures)} client failures",
               "0", not out["errors"] and not failures)
    result.add("trainings still running at the end", f"{running} of 2", "2 of 2", running == 2)
    return result


# --------------------------------------------------------------------------- HTTP predict

def _http_load(port, n_clients, body, *, total=None, seconds=None, timeout=600.0):
    """POST /api/predict from ``n_clients`` threads: paced at 1/s for ``seconds``, or back to
    back until ``total`` requests. Return (latencies, errors, wall seconds)."""
    latencies, errors = [], []
    lock = threading.Lock()
    sent = [0]
    t0 = time.monotonic()

    def client(i):
        http = Http(port, timeout=60)
        k = 0
        while True:
            if seconds is not None:
                start = t0 + k + i / n_clients  # spread the clients over each second
                if start - t0 >= seconds:
                    break
                time.sleep(max(0.0, start - time.monotonic()))
            else:
                with lock:
                    if sent[0] >= total:
                        break
                    sent[0] += 1
            k += 1
            try:
                reply = http.post("/api/predict", body)
            except OSError as exc:
                errors.append(repr(exc))
                continue
            latencies.append(reply.seconds)
            if reply.status != 200:
                errors.append(f"HTTP {reply.status}: {reply.body[:160]!r}")
        http.close()

    failures = run_threads(client, n_clients, timeout)
    return latencies, errors + [repr(f) for f in failures], time.monotonic() - t0


def http_predict(server, scale: Scale) -> Result:
    """POST /api/predict with a saved digits20 model: paced, back to back, whole canvas."""
    result = Result()
    train_and_save(server.port, "load-digits20", max_iter=scale.student_iters,
                   timeout=scale.timeout)
    vector = {"model": "load-digits20", "vector": sample_vector(server.port)}
    canvas = {"model": "load-digits20", "image": canvas_drawing()}
    n, secs = scale.paced_clients, scale.paced_seconds
    lat_, err, wall = _http_load(server.port, n, vector, seconds=secs, timeout=scale.timeout)
    s = latency_summary(lat_)
    result.add(f"{n} clients x 1 request/s, 400-float vector, {secs:g} s",
               f"{lat(s)} (n={s['n']}, {s['n'] / wall:.0f}/s)", "p95 ≤ 150 ms",
               s["p95"] is not None and s["p95"] <= 150)
    result.add("paced: errors", str(len(err)), "0", not err)
    result.notes += [f"paced error: {e}" for e in err[:3]]
    n, total = scale.b2b_clients, scale.b2b_requests
    lat_, err, wall = _http_load(server.port, n, vector, total=total, timeout=scale.timeout)
    s = latency_summary(lat_)
    rate = s["n"] / wall
    result.add(f"{n} clients back to back, {total} requests", f"{rate:.0f} requests/s",
               "≥ 300 requests/s", rate >= 300)
    result.add("back to back: latency", lat(s))
    result.add("back to back: errors", f"{len(err)} of {total}", "0", not err)
    result.notes += [f"back-to-back error: {e}" for e in err[:3]]
    n, total = scale.canvas_clients, scale.canvas_requests
    lat_, err, wall = _http_load(server.port, n, canvas, total=total, timeout=scale.timeout)
    s = latency_summary(lat_)
    result.add(f"whole 280x280 canvas, {n} clients back to back, {total} requests",
               f"{s['n'] / wall:.0f} requests/s, {lat(s)}, {len(err)} errors")
    return result


# --------------------------------------------------------------------------- churn

def cycles(server, scale: Scale) -> Result:
    """Connect, train digits20, disconnect (alternately mid-run and after `done`)."""
    result = Result()
    rss0, threads0 = server.status("VmRSS"), server.status("Threads")
    fill_pool(server.port, POOL_FILL, scale.timeout)
    marks = {}
    t0 = time.monotonic()
    for i in range(1, scale.cycles + 1):
        disconnect_cycle(server.port, mid_run=i % 2 == 1, timeout=scale.timeout)
        if i in (10, scale.cycles):
            wait_idle(server.port, scale.timeout)
            # The last connection's threads end within 2 s (its close frame's timeout).
            threads = settle(server, "Threads", marks[10][1] if i > 10 else 0,
                             3.0 if i == 10 else 10.0)
            marks[i] = (server.status("VmRSS") / 1024, threads)
    wall = time.monotonic() - t0
    (rss10, thr10), (rss_end, thr_end) = marks[10], marks[scale.cycles]
    health = fetch(server.port, "GET", "/healthz").json()
    result.add("RSS: start, after 10 cycles, after the last",
               f"{rss0 / 1024:.0f} MB, {rss10:.0f} MB, {rss_end:.0f} MB (after {scale.cycles})")
    result.add(f"RSS growth from cycle 10 to {scale.cycles}", f"{rss_end - rss10:+.0f} MB",
               "≤ 150 MB", rss_end - rss10 <= 150)
    result.add(f"threads: start, after 10, after the last (request pool filled to "
               f"{POOL_FILL} first)", f"{threads0}, {thr10}, {thr_end}",
               "back to the 10-cycle count", thr_end <= thr10)
    result.add("left behind: sessions, trainings running, queued",
               f"{health['sessions']}, {health['trainings']['running']}, "
               f"{health['trainings']['queued']}", "0, 0, 0",
               health["sessions"] == health["trainings"]["running"] == 0)
    result.add("cycles per second", f"{scale.cycles / wall:.1f}")
    return result


# --------------------------------------------------------------------------- hostile input

def fuzz(server, scale: Scale) -> Result:
    """Fuzzed frames of every documented client type, garbage and binary frames."""
    result = Result()
    report = run_fuzz(server.port, scale.fuzz_frames, seed=12, max_seconds=scale.timeout)
    result.add("frames sent", f"{report.frames} in {report.seconds:.1f} s over "
               f"{report.connections} connections", f"{scale.fuzz_frames}",
               report.frames == scale.fuzz_frames)
    result.add("`internal` errors", str(report.n_internal), "0", report.n_internal == 0)
    result.add("closes by the server not documented", str(len(report.unexpected_closes)), "0",
               not report.unexpected_closes)
    result.add("frames that should have closed the socket but did not",
               str(len(report.missing_closes)), "0", not report.missing_closes)
    result.add("allowed closes: 1009 after a message too big, 1007 after non-UTF-8 text "
               "(None: no close frame, a defect)",
               ", ".join(f"{k}: {v}" for k, v in sorted(report.allowed_closes.items())))
    result.add("error codes", ", ".join(f"{k} {v}" for k, v in report.error_codes.most_common()))
    for message, batch in report.internal[:3]:
        result.notes.append(f"internal: {message}; batch: {batch[:3]}")
    for code, batch in report.unexpected_closes[:3]:
        result.notes.append(f"closed with {code}; batch: {batch[-3:]}")
    return result


# --------------------------------------------------------------------------- fault

def kill_worker(server, scale: Scale) -> Result:
    """SIGKILL gunicorn's worker during a training; time the return; check saved models."""
    result = Result()
    if server.kind != "gunicorn":
        result.notes.append("not run: the development server is one process with no "
                            "supervisor; killed, it stays down.")
        return result
    train_and_save(server.port, "before-kill", max_iter=scale.student_iters,
                   timeout=scale.timeout)
    vector = sample_vector(server.port)
    old = server.pid()
    client = WsClient(server.port, timeout=scale.timeout)
    client.send(train_message("doomed", **LONG_TRAIN))
    client.until("iteration", scale.timeout)
    os.kill(old, signal.SIGKILL)
    back = wait_healthy(server.port, scale.timeout)
    try:
        client.until("done", 10)
        dropped = False
    except (ServerClosed, websocket.WebSocketException, OSError):
        dropped = True
    client.close()
    new = server.pid()
    names = [m["name"] for m in fetch(server.port, "GET", "/api/models").json()]
    reply = fetch(server.port, "POST", "/api/predict",
                  {"model": "before-kill", "vector": vector})
    result.add("`/healthz` answers again after SIGKILL", f"{back:.2f} s", "≤ 2 s", back <= 2)
    result.add("worker replaced; the training's socket closed",
               f"pid {old} → {new}; {'closed' if dropped else 'still open'}", "new pid, closed",
               new != old and dropped)
    result.add("saved model listed by GET /api/models", "yes" if "before-kill" in names else
               f"no: {names}", "yes", "before-kill" in names)
    result.add("saved model predicts (POST /api/predict)", f"HTTP {reply.status}", "HTTP 200",
               reply.status == 200)
    return result


SCENARIOS = {
    "classroom": classroom,
    "socket-predict": socket_predict,
    "http-predict": http_predict,
    "cycles": cycles,
    "fuzz": fuzz,
    "kill-worker": kill_worker,
}
