"""The optimizer race on digits20: the lowest cost, the fewest evaluations, the least time.

Usage: ``python bench/race.py [--quick] [--seeds 0 1 2] [--max-iter 100]``

Each seed is one `race` message through the server's own race machinery (a
Session with a recording ``send``, no sockets): TNC, L-BFGS-B, CG, Adam and
gradient descent from the same initial weights, in turn, one BLAS thread each,
timed by the worker thread's CPU time. Prints one row per optimizer and seed,
then per optimizer the medians over seeds, and which reaches the lowest
validation cost, which reaches a common target cost in the fewest full-batch
evaluations and which in the least CPU time. ``--quick`` is a tiny smoke run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
from pathlib import Path

from _util import blas_summary, markdown_table

from server.live import Lab, Session
from server.protocol import Limits
from server.threads import TrainingSlots

OPTIMIZERS = ["TNC", "L-BFGS-B", "CG", "adam", "gd"]


class Recorder:
    """A ``send`` that keeps the JSON messages and signals `race_done`."""

    def __init__(self):
        self.messages, self.done = [], threading.Event()

    def __call__(self, frame):
        if isinstance(frame, str):
            msg = json.loads(frame)
            self.messages.append(msg)
            if msg["type"] == "race_done":
                self.done.set()


def race(seed, max_iter, dataset, hidden):
    """Race every optimizer once from ``seed``; return (race_done, {run_id: [iteration]})."""
    with tempfile.TemporaryDirectory() as tmp:
        lab = Lab(Limits(), TrainingSlots(1), Path(tmp))
        recorder = Recorder()
        session = Session(recorder, lab, name=f"race-{seed}")
        try:
            session.receive(json.dumps({
                "type": "race", "dataset": dataset, "optimizers": OPTIMIZERS,
                "hidden_layers": hidden, "max_iter": max_iter, "random_state": seed,
                "weights_interval_ms": 600_000, "evaluation_interval_ms": 600_000}))
            if not recorder.done.wait(3600):
                raise SystemExit("the race did not finish within an hour")
            curves = {run_id: run.history for run_id, run in session.runs.items()}
        finally:
            session.close()
    done = next(m for m in recorder.messages if m["type"] == "race_done")
    return done, curves


def reach(curve, target):
    """``(n_fev_equiv, cpu_time)`` at the first iteration whose val_cost <= target."""
    for point in curve:
        if point["val_cost"] is not None and point["val_cost"] <= target:
            return point["n_fev_equiv"], point["cpu_time"]
    return None, None


def summarize(races):
    """Rows per optimizer: medians over seeds, and the cost to reach a common target."""
    # the target: the worst of the optimizers' best validation costs, per seed
    rows, per_opt = [], {name: [] for name in OPTIMIZERS}
    for done, curves in races:
        target = max(min(p["val_cost"] for p in curves[r["run_id"]] if p["val_cost"] is not None)
                     for r in done["results"])
        for r in done["results"]:
            per_opt[r["optimizer"]].append((r, *reach(curves[r["run_id"]], target)))
    for name, entries in per_opt.items():
        def med(key, entries=entries):
            return statistics.median(e[0][key] for e in entries)
        fevs = [e[1] for e in entries if e[1] is not None]
        cpus = [e[2] for e in entries if e[2] is not None]
        rows.append([name, f"{med('val_cost'):.4f}", f"{med('test_accuracy'):.3f}",
                     f"{med('n_fev_equiv'):.0f}", f"{med('cpu_time'):.2f}",
                     f"{statistics.median(fevs):.1f}" if fevs else "never",
                     f"{statistics.median(cpus):.2f}" if cpus else "never"])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run on xor")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--max-iter", type=int, default=100)
    args = parser.parse_args()
    dataset, hidden, max_iter, seeds = "digits20", [25], args.max_iter, args.seeds
    if args.quick:
        dataset, hidden, max_iter, seeds = "xor", [4], 5, [0]
    print(f"## Optimizer race: {dataset}, hidden {hidden}, max_iter {max_iter}, "
          f"seeds {seeds}\n")
    print("BLAS: " + "; ".join(blas_summary()) + f"; load average {os.getloadavg()}\n")
    races = [race(seed, max_iter, dataset, hidden) for seed in seeds]
    per_seed = [[seed, r["optimizer"], r["reason"], r["n_iter"], f"{r['n_fev_equiv']:.0f}",
                 f"{r['cpu_time']:.2f}", f"{r['cost']:.4f}", f"{r['val_cost']:.4f}",
                 f"{r['test_cost']:.4f}", f"{r['val_accuracy']:.3f}",
                 f"{r['test_accuracy']:.3f}"]
                for seed, (done, _) in zip(seeds, races) for r in done["results"]]
    print(markdown_table(["seed", "optimizer", "reason", "iterations", "evaluations (full-batch)",
                          "CPU s", "train cost", "val cost", "test cost", "val acc",
                          "test acc"], per_seed))
    rows = summarize(races)
    print("\nMedians over seeds; 'to target' = first iteration whose validation cost is at "
          "most the worst optimizer's best (the cost every one reaches):\n")
    print(markdown_table(["optimizer", "val cost", "test acc", "evaluations", "CPU s",
                          "evaluations to target", "CPU s to target"], rows))
    best = min(rows, key=lambda r: float(r[1]))[0]
    fewest = min(rows, key=lambda r: float(r[5]) if r[5] != "never" else 1e18)[0]
    fastest = min(rows, key=lambda r: float(r[6]) if r[6] != "never" else 1e18)[0]
    print(f"\nLowest validation cost: {best}; target in the fewest evaluations: {fewest}; "
          f"in the least CPU time: {fastest}; load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
