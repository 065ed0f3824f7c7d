"""Followers of one shared run: how late the last one hears each iteration, and what
watching costs the training.

Loopback only and bounded: it starts its own server on 127.0.0.1, opens one
presenter and up to 60 follower WebSockets (websocket-client threads in this
process), and stops by itself. For each follower count (0, 10, 30, 60, interleaved
over rounds in a rotated order) the presenter trains the same network: paused at
its first evaluation, shared, followed, then resumed and timed to `done`.

Delay of an iteration = the moment the last follower has it (its first frame of an
iteration >= that one: a follower's outbox may coalesce) minus the moment the
presenter's socket had it; the presenter's arrival stands for "left the engine"
(both are read by this process, so their clocks agree). Slowdown = the training's
wall time (resume -> done) against no followers, medians over rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import threading
import time

import numpy as np
import websocket
from _util import markdown_table, median
from streaming import free_port, start_server

ITERATION = re.compile(r'^\{"type":"iteration","run_id":"([^"]+)","iteration":(\d+)')


class Listener:
    """One socket read by one thread: the arrival time of every iteration, per run."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=60)
        self.ready = json.loads(self.ws.recv())
        self.arrivals: dict[str, list] = {}
        self.messages = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                frame = self.ws.recv()
            except Exception:  # noqa: BLE001 - closed at the end
                return
            now = time.perf_counter()
            if not isinstance(frame, str) or not frame:  # weights, or the close
                continue
            m = ITERATION.match(frame)
            if m:
                self.arrivals.setdefault(m[1], []).append((int(m[2]), now))
                continue
            with self.cond:
                self.messages.append(json.loads(frame))
                self.cond.notify_all()

    def send(self, msg):
        self.ws.send(json.dumps(msg))

    def wait_for(self, kind, timeout=120, **match):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i, m in enumerate(self.messages):
                    if m["type"] == kind and all(m.get(k) == v for k, v in match.items()):
                        del self.messages[i]
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"no {kind} {match} within {timeout}s")
                self.cond.wait(left)


def delays(presenter_arrivals, followers_arrivals):
    """Per iteration the presenter saw: the last follower's lag behind it, in seconds."""
    out = []
    for it, t0 in presenter_arrivals:
        worst = 0.0
        for arrivals in followers_arrivals:
            t = next((t for i, t in arrivals if i >= it), None)
            if t is None:
                return None  # a follower never caught up: report, do not hide
            worst = max(worst, t - t0)
        out.append(worst)
    return out


def one_run(presenter, followers, n, args, k):
    run_id = f"bench-{n}-{k}"
    presenter.send({"type": "train", "run_id": run_id, "dataset": args.dataset,
                    "hidden_layers": [args.hidden], "max_iter": args.max_iter,
                    "random_state": 0, "probe": list(range(8))})
    presenter.send({"type": "pause", "run_id": run_id})
    presenter.wait_for("started", run_id=run_id)
    if n:
        presenter.send({"type": "share", "run_id": run_id})
        token = presenter.wait_for("shared", run_id=run_id)["token"]
        for f in followers[:n]:
            f.send({"type": "follow", "token": token})
        for f in followers[:n]:
            f.wait_for("catchup", run_id=run_id)
    t0 = time.perf_counter()
    presenter.send({"type": "resume", "run_id": run_id})
    done = presenter.wait_for("done", run_id=run_id, timeout=args.deadline)
    wall = time.perf_counter() - t0
    time.sleep(0.5)  # the last frames reach the slowest follower
    lag = delays(presenter.arrivals.get(run_id, []),
                 [f.arrivals.get(run_id, []) for f in followers[:n]]) if n else []
    return wall, lag, done["n_iter"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--followers", default="10,30,60")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--dataset", default="digits20")
    p.add_argument("--hidden", type=int, default=25)
    p.add_argument("--max-iter", type=int, default=30)
    p.add_argument("--deadline", type=float, default=900.0, help="s for the whole bench")
    p.add_argument("--quick", action="store_true", help="10 followers, 1 round, 5 iterations")
    args = p.parse_args(argv)
    if args.quick:
        args.followers, args.rounds, args.max_iter = "10", 1, 5
    counts = [0] + [int(c) for c in args.followers.split(",")]
    load_before = os.getloadavg()[0]
    port = free_port()
    with tempfile.TemporaryDirectory() as models:
        server = start_server(port, models)
        try:
            url = f"ws://127.0.0.1:{port}/ws"
            presenter = Listener(url)
            followers = [Listener(url) for _ in range(max(counts))]
            results = {n: {"wall": [], "lag": []} for n in counts}
            stop_at = time.monotonic() + args.deadline
            for r in range(args.rounds):
                order = counts[r % len(counts):] + counts[:r % len(counts)]
                for n in order:
                    if time.monotonic() > stop_at:
                        break
                    wall, lag, n_iter = one_run(presenter, followers, n, args, r)
                    results[n]["wall"].append(wall)
                    results[n]["lag"] += lag if lag is not None else [float("inf")]
            for ws in [presenter, *followers]:
                ws.ws.close()
        finally:
            server.terminate()
            server.wait(10)
    base = median(results[0]["wall"])
    rows = []
    for n in counts:
        lag = np.array(results[n]["lag"]) * 1000
        rows.append([n, len(results[n]["wall"]),
                     f"{np.percentile(lag, 50):.0f}" if lag.size else "–",
                     f"{np.percentile(lag, 95):.0f}" if lag.size else "–",
                     f"{median(results[n]['wall']):.2f}",
                     f"{100 * (median(results[n]['wall']) / base - 1):+.0f}%"])
    load = os.getloadavg()
    print(f"## Followers of one shared run ({args.dataset}, {args.hidden} hidden, TNC, "
          f"{args.max_iter} iterations, delay 0, weights every 250 ms)\n")
    print(f"load average (1 min) before {load_before:.2f}, after {load[0]:.2f} "
          f"(15 min {load[2]:.2f}), {os.cpu_count()} cores; the followers' threads run "
          "in this process, on the same cores\n")
    print(markdown_table(["followers", "runs", "delay p50 ms", "delay p95 ms",
                          "training s (median)", "slowdown"], rows))


if __name__ == "__main__":
    main()
