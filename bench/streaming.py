"""What streaming costs: fit time with a live WebSocket client against the bare engine,
bytes per iteration, and predict round-trip latency on loopback.

    .venv/bin/python bench/streaming.py [--dataset digits20] [--max-iter 40] [--repeats 3]

The server runs as ``python -m server`` in a subprocess (as in a classroom); the
bare engine and the client run in this process, alternately, so both see the same
machine load. Prints the measurements side by side, then a markdown table for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.datasets import load_dataset, train_validation_split  # noqa: E402
from server.network import NeuralNetwork  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, models_dir):
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port),
         "--models-dir", str(models_dir)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def cpu_seconds(pid) -> float:
    """User + system CPU time of a process so far (Linux /proc), all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bare_fit(ds, args):
    X, y, X_val, y_val = train_validation_split(ds.X_train, ds.y_train, args.validation_fraction,
                                                args.seed)
    model = NeuralNetwork(tuple(args.hidden), args.lam, max_iter=args.max_iter,
                          random_state=args.seed)
    t0, c0 = time.perf_counter(), cpu_seconds(os.getpid())
    model.fit(X, y, X_val=X_val, y_val=y_val)
    return time.perf_counter() - t0, model.n_iter_, cpu_seconds(os.getpid()) - c0


def streamed_fit(url, args):
    """Train over the socket, reading every frame at full speed; return the numbers."""
    ws = websocket.create_connection(url, timeout=300)
    ws.recv()  # ready
    ws.send(json.dumps({
        "type": "train", "dataset": args.dataset, "hidden_layers": args.hidden,
        "regularization_parameter": args.lam, "max_iter": args.max_iter,
        "random_state": args.seed, "validation_fraction": args.validation_fraction,
        "probe": list(range(8)), "delay_ms": 0, "weights_interval_ms": 250}))
    t0 = time.perf_counter()
    counts = {"text": 0, "binary": 0, "text_bytes": 0, "binary_bytes": 0, "iteration": 0}
    while True:
        frame = ws.recv()
        if isinstance(frame, bytes):
            counts["binary"] += 1
            counts["binary_bytes"] += len(frame)
            continue
        counts["text"] += 1
        counts["text_bytes"] += len(frame.encode())
        msg = json.loads(frame)
        if msg["type"] == "started":
            t0 = time.perf_counter()
        elif msg["type"] == "iteration":
            counts["iteration"] += 1
        elif msg["type"] == "done":
            wall = time.perf_counter() - t0
            break
    return ws, wall, msg, counts


def predict_latencies(ws, request, n):
    times = []
    for i in range(n):
        request["request_id"] = i
        payload = json.dumps(request)
        t0 = time.perf_counter()
        ws.send(payload)
        while True:
            msg = json.loads(ws.recv())
            if msg.get("request_id") == i:
                break
        if msg["type"] != "prediction":
            raise SystemExit(f"predict failed: {msg}")
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2], times[int(0.95 * (len(times) - 1))], len(payload)


def drawn_canvas(side, fmt):
    yy, xx = np.mgrid[:side, :side]
    ring = np.abs(np.hypot(yy - side / 2, xx - side / 2) - side / 3) < side / 20  # a "0"
    if fmt == "gray8":
        pixels = np.where(ring, 0, 255).astype(np.uint8)  # dark ink on white
    else:
        pixels = np.zeros((side, side, 4), np.uint8)
        pixels[ring] = (0, 0, 0, 255)  # ink in alpha, as a transparent canvas gives it
    return {"width": side, "height": side, "format": fmt,
            "data": base64.b64encode(pixels.tobytes()).decode()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="digits20")
    p.add_argument("--hidden", type=int, nargs="+", default=[25])
    p.add_argument("--lam", type=float, default=1.0)
    p.add_argument("--max-iter", type=int, default=40)
    p.add_argument("--validation-fraction", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--predicts", type=int, default=200)
    args = p.parse_args(argv)

    ds = load_dataset(args.dataset)
    port = free_port()
    models_dir = ROOT / "bench" / "out" / "models"
    proc = start_server(port, models_dir)
    url = f"ws://127.0.0.1:{port}/ws"
    try:
        bare, streamed, walls, shares, last = [], [], [], [], None
        bare_cpu, server_cpu = [], []
        bare_fit(ds, args)  # warm up: BLAS, caches
        streamed_fit(url, args)[0].close()  # and the server's data set cache
        for r in range(args.repeats):
            t, n_bare, cpu = bare_fit(ds, args)
            bare.append(t)
            bare_cpu.append(cpu)
            c0 = cpu_seconds(proc.pid)
            ws, wall, done, counts = streamed_fit(url, args)
            server_cpu.append(cpu_seconds(proc.pid) - c0)
            streamed.append(done["elapsed"])
            walls.append(wall)
            shares.append(done["streaming_time"] / done["elapsed"])
            print(f"repeat {r + 1}: bare {t:.3f} s ({n_bare} it, {cpu:.2f} s CPU) | streamed "
                  f"fit {done['elapsed']:.3f} s, started->done {wall:.3f} s "
                  f"({done['n_iter']} it, server {server_cpu[-1]:.2f} s CPU)", flush=True)
            if last is not None:
                last[0].close()
            last = (ws, done, counts)
        ws, done, counts = last
        n_iter = done["n_iter"]
        per_iter = (counts["text_bytes"] + counts["binary_bytes"]) / n_iter
        text_per_iter = counts["text_bytes"] / n_iter

        side_vector = {"type": "predict", "vector": ds.X_test[0].tolist()}
        lat = {"vector": predict_latencies(ws, side_vector, args.predicts)}
        if ds.image_shape is not None:
            for fmt, side in (("gray8", 280), ("rgba8", 280)):
                lat[f"{side}x{side} {fmt}"] = predict_latencies(
                    ws, {"type": "predict", "image": drawn_canvas(side, fmt)}, args.predicts)
        ws.close()
    finally:
        proc.terminate()
        proc.wait(10)

    b, s, w = statistics.median(bare), statistics.median(streamed), statistics.median(walls)
    paired = statistics.median(x / y for x, y in zip(streamed, bare))
    share = statistics.median(shares)
    cpu_ratio = statistics.median(x / y for x, y in zip(server_cpu, bare_cpu))
    print()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, numpy {np.__version__}")
    print(f"{args.dataset} {[ds.X_train.shape[1], *args.hidden, len(ds.class_names)]}, TNC, "
          f"lambda {args.lam}, max_iter {args.max_iter}, median of {args.repeats}")
    print(f"bare engine fit          {b:.3f} s")
    print(f"streamed, engine's fit   {s:.3f} s   ratio {s / b:.3f}")
    print(f"streamed, started->done  {w:.3f} s   ratio {w / b:.3f}")
    print(f"median of paired ratios  {paired:.3f}; fastest of each: bare {min(bare):.3f} s, "
          f"streamed {min(streamed):.3f} s, ratio {min(streamed) / min(bare):.3f}")
    print(f"CPU seconds: server process per streamed run / bench process per bare fit: "
          f"median ratio {cpu_ratio:.3f} (less sensitive to other load than wall time)")
    print(f"time the training thread spent streaming: {100 * share:.2f}% of the fit "
          f"(measured inside the server, immune to machine load)")
    print(f"frames: {counts['text']} text ({counts['iteration']} iteration), "
          f"{counts['binary']} weights; bytes/iteration {per_iter:,.0f} "
          f"(text {text_per_iter:,.0f})")
    for name, (p50, p95, size) in lat.items():
        print(f"predict {name:>14}: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
              f"(request {size:,} bytes)")

    print()
    print("| measure | value | goal |")
    print("| --- | --- | --- |")
    print(f"| bare engine fit ({args.dataset}, {args.hidden}, {n_iter} it, median of "
          f"{args.repeats}) | {b:.3f} s | |")
    print(f"| streamed fit, engine time / bare | {s:.3f} s / {b:.3f} s = **{s / b:.2f}x** "
          f"| ≤ 1.10x |")
    print(f"| streamed, `started` → `done` on the client / bare | {w:.3f} s = "
          f"**{w / b:.2f}x** | ≤ 1.10x |")
    print(f"| median of the {args.repeats} paired ratios (streamed / bare, run back to back) "
          f"| **{paired:.2f}x** | ≤ 1.10x |")
    print(f"| CPU time, whole server process per streamed run / bare fit (median ratio) | "
          f"**{cpu_ratio:.2f}x** | ≤ 1.10x |")
    print(f"| training thread's time spent streaming (callbacks, copies, probes) | "
          f"**{100 * share:.2f}%** of the fit | ≤ 10% |")
    print(f"| bytes per iteration (8 probes, weights every 250 ms) | {per_iter:,.0f} "
          f"(JSON {text_per_iter:,.0f}) | |")
    for name, (p50, p95, size) in lat.items():
        goal = "p95 ≤ 30 ms"
        print(f"| predict round trip, {name} ({size:,} B request) | p50 {p50:.1f} ms, "
              f"p95 **{p95:.1f} ms** | {goal} |")


if __name__ == "__main__":
    main()
