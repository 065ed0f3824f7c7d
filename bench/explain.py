"""An `explain` round trip over the WebSocket: the explanation and its gradients frames.

    .venv/bin/python bench/explain.py [--requests 200] [--max-iter 50] [--quick]

Starts ``python -m server`` in a subprocess, trains digits20 400-25-10 (TNC, λ 1),
then sends `explain` for test samples one after another and times each from the
send to the last of its binary frames. The full-set gradient is the same for every
input at one iteration, so the server computes it once per iteration: the first
request pays for it ("cold"), the others do not ("warm"). Prints a markdown row
for docs/benchmarks.md with the BLAS kernel (threadpoolctl) and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import websocket

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import ROOT, blas_summary  # noqa: E402
from streaming import free_port, start_server  # noqa: E402

from server.core.explain import full_gradient  # noqa: E402
from server.datasets import load_dataset, train_validation_split  # noqa: E402


def round_trip(ws, request_id, index, iteration=None):
    """Seconds from sending `explain` to its last frame; the explanation."""
    msg = {"type": "explain", "request_id": request_id, "sample": {"split": "test",
                                                                    "index": index}}
    if iteration is not None:
        msg["iteration"] = iteration
    t0 = time.perf_counter()
    ws.send(json.dumps(msg))
    reply, frames = None, 0
    while reply is None or frames < len(reply["frames"]):
        frame = ws.recv()
        if isinstance(frame, bytes):
            frames += 1
            continue
        m = json.loads(frame)
        if m.get("request_id") == request_id:
            if m["type"] != "explanation":
                raise SystemExit(f"explain failed: {m}")
            reply = m
    return time.perf_counter() - t0, reply


def wait_for_done(ws):
    while True:
        frame = ws.recv()
        if isinstance(frame, str) and json.loads(frame)["type"] == "done":
            return


def percentile(values, q):
    values = sorted(values)
    return values[int(q * (len(values) - 1))]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--max-iter", type=int, default=50)
    p.add_argument("--quick", action="store_true", help="5 iterations, 30 requests")
    args = p.parse_args(argv)
    if args.quick:
        args.requests, args.max_iter = 30, 5
    ds = load_dataset("digits20")
    port = free_port()
    proc = start_server(port, ROOT / "bench" / "out" / "models")
    try:
        ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=300)
        ws.recv()  # ready
        ws.send(json.dumps({"type": "train", "dataset": "digits20", "hidden_layers": [25],
                            "regularization_parameter": 1.0, "max_iter": args.max_iter,
                            "probe": [], "random_state": 0}))
        wait_for_done(ws)
        cold, reply = round_trip(ws, 0, 0)
        n_iter = reply["iteration"]
        previous, _ = round_trip(ws, 1, 1, n_iter - 1)
        warm = [round_trip(ws, 2 + i, i % ds.X_test.shape[0])[0]
                for i in range(args.requests)]
        ws.close()
    finally:
        proc.terminate()
        proc.wait(10)
    X, y, _, _ = train_validation_split(ds.X_train, ds.y_train, 0.1, 0)
    thetas = [np.random.default_rng(0).uniform(-0.1, 0.1, (401, 25)),
              np.random.default_rng(1).uniform(-0.1, 0.1, (26, 10))]
    Y = np.eye(10)[y]
    full = []
    for _ in range(20):
        t0 = time.perf_counter()
        full_gradient(thetas, X, Y, 1.0)
        full.append(time.perf_counter() - t0)
    ms = lambda s: f"{1000 * s:.1f}"  # noqa: E731
    load = os.getloadavg()
    kernels = "; ".join(blas_summary())
    print(f"digits20 400-25-10, TNC, {n_iter} iterations; {args.requests} explains of test "
          "samples, one at a time")
    print(f"cold (computes the full-set gradient): {ms(cold)} ms; an older kept iteration "
          f"(cold too): {ms(previous)} ms")
    print(f"warm: p50 {ms(statistics.median(warm))} ms, p95 {ms(percentile(warm, 0.95))} ms, "
          f"max {ms(max(warm))} ms")
    print(f"full-set gradient alone, in this process: median {ms(statistics.median(full))} ms")
    print(f"BLAS: {kernels}")
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print()
    print("| measure | value | goal |")
    print("| --- | --- | --- |")
    print(f"| explain round trip, digits20 400-25-10 after {n_iter} iterations, "
          f"{args.requests} requests | p50 {ms(statistics.median(warm))} ms, p95 "
          f"**{ms(percentile(warm, 0.95))} ms** | p95 < 30 ms |")
    print(f"| first explain of an iteration (computes the full-set gradient) | "
          f"{ms(cold)} ms (older iteration {ms(previous)} ms) | |")
    print(f"| conditions | {kernels}; load average {load[0]:.2f} | |")


if __name__ == "__main__":
    main()
