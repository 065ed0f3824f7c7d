"""Where the time of one evaluation goes, step by step, and what a whole default fit adds.

Usage: ``python bench/steps.py [--quick] [--rounds R] [--fit-rounds K]``

1. One evaluation of ``loss_and_grad`` on 5000x400->25->10 (digits20's default,
   random data), float64, cut into the steps the engine runs, each step calling the
   engine's own functions on the engine's layout; every round runs all the steps in
   order, each timed alone; the table gives each step's median and its share, for
   1 thread and for every core, next to the whole ``loss_and_grad`` call.
2. The default run: TNC, 50 iterations on digits20 (lambda 1, random_state 0) against
   the same number of bare ``loss_and_grad`` calls and of floor evaluations (the
   five products, ``_util.floor_eval``), interleaved rounds: what the optimizer,
   the per-evaluation bookkeeping and the callbacks add.
3. That run's time per evaluation, part by part, each as a fraction of the floor:
   the floor, the engine beyond it, TNC's own work (the run's recorded costs and
   gradients replayed through ``scipy.optimize.minimize``, each after a real
   evaluation that is not timed, so that the caches are as in the fit) and the
   rest (the objective's bookkeeping, the callbacks, the setup). TNC's part is what
   no engine can remove: the target of 1.15x leaves 0.15x for all three.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from _util import (
    SPIN_SETTLE,
    blas_summary,
    engine_call,
    floor_candidates,
    floor_eval,
    interleaved,
    load_average,
    markdown_table,
    median,
    random_problem,
)
from scipy import optimize

import server.core.blas as blas
from server.core import fused, maths, optimizers
from server.datasets import load_dataset
from server.network import NeuralNetwork, layer_table, loss_and_grad, unpack


def evaluation_steps(X, Y, flat, table, lam):
    """Return ``[(name, fn)]``: one logistic evaluation of the engine, step by step."""
    (t1, t2), m = unpack(flat, table), X.shape[0]
    grad = np.empty_like(flat)
    g1, g2 = unpack(grad, table)
    s = {}
    bound, one = X.dtype.type(fused._EXP_BOUND[X.dtype]), X.dtype.type(1)

    def step(name):
        def add(fn):
            steps.append((name, fn))
        return add

    steps = []
    step("X @ W1 (m x n x h product, as X @ -W1)")(
        lambda: s.update(z1=maths.hidden_product(X, np.negative(t1[1:]))))

    @step("- b1, clip (m x h, compiled)")
    def bias_clip():
        s["z1s"], per_row = fused.storage(s["z1"])  # (h, m) in float64: unit-major
        fused._bias_clip(s["z1s"], t1[0], bound, per_row)

    step("exp (m x h, numpy)")(lambda: np.exp(s["z1s"], out=s["z1s"]))
    step("1 / (1 + e) (m x h, compiled)")(lambda: fused._reciprocal_1p(
        s["z1s"].reshape(-1), one) or s.update(a1=s["z1"]))
    step("a1 @ W2 (m x h x p, as a1 @ -W2)")(
        lambda: s.update(z2=maths._output_product(s["a1"], np.negative(t2[1:]), True)))
    step("output layer (m x p): bias, sigmoid, cost, delta2, its sums")(lambda: s.update(
        d2=fused.output_layer(s["z2"], t2[0], Y, 1 / m, g2[0])[2]))
    step("d2.T @ a1 (p x m x h)")(lambda: maths._weight_gradient(s["a1"], s["d2"], g2[1:],
                                                                 False))
    step("d2 @ W2.T (m x p x h)")(lambda: s.update(d1=maths.hidden_product(s["d2"], t2[1:].T)))
    step("times sigmoid', column sums of d1 (m x h, compiled)")(
        lambda: fused.logistic_slope(s["a1"], s["d1"], g1[0]))
    step("d1.T @ X (h x m x n product)")(
        lambda: maths._weight_gradient(X, s["d1"], g1[1:], False))
    step("regularization (compiled)")(lambda: maths._regularize((t1, t2), (g1, g2), lam / m))
    return steps


def step_table(n_threads, rounds, m=5000, n=400, h=25, p=10):
    X, _, Y = random_problem(m, n, p, seed=0)
    Y = maths.output_layout(Y)  # as fit lays its targets out
    table = layer_table((n, h, p))
    flat = np.random.default_rng(0).uniform(-0.12, 0.12, table[-1][1])
    steps = evaluation_steps(X, Y, flat, table, 1.0)
    grad = np.empty_like(flat)
    floor = floor_eval(X, h, p, unit_major=True)
    times = {name: [] for name, _ in steps}
    whole, floors = [], []
    with blas.BlasLimits(n_threads):
        for _ in range(rounds + 1):  # the first round warms up
            for name, fn in steps:
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            loss_and_grad(flat, table, X, Y, 1.0, grad_out=grad)
            whole.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            floor()
            floors.append(time.perf_counter() - t0)
    med = {name: median(v[1:]) for name, v in times.items()}
    total = sum(med.values())
    rows = [[name, f"{1e3 * t:.3f}", f"{100 * t / total:.1f}%"] for name, t in med.items()]
    rows.append(["sum of the steps' medians", f"{1e3 * total:.3f}", "100%"])
    rows.append(["`loss_and_grad`, whole call (median)", f"{1e3 * median(whole[1:]):.3f}", ""])
    rows.append(["floor: the five products alone (median)", f"{1e3 * median(floors[1:]):.3f}",
                 ""])
    return rows


class Recorder:
    """While in use, record every ``(x, cost, grad)`` a fit's objective returns."""

    def __init__(self):
        self.records = []

    def __enter__(self):
        self._objective = objective = optimizers.FitState.objective

        def recording(state, x):
            cost, grad = objective(state, x)
            self.records.append((x.copy(), cost, grad.copy()))
            return cost, grad

        optimizers.FitState.objective = recording
        return self

    def __exit__(self, *exc):
        optimizers.FitState.objective = self._objective
        return False


class _Replayed(Exception):
    """The replay ran out of recorded evaluations."""


def tnc_replay(records, max_fun, evaluate=None):
    """Return ``replay()``: TNC's own seconds per evaluation, ``records`` fed back to it.

    ``minimize`` is called as ``optimizers.scipy_loop`` calls it; the objective hands
    back the recorded cost and a copy of the recorded gradient (the fit's objective
    also returns a fresh copy), so the time outside it is the optimizer's: the
    wrapper of ``minimize`` and TNC's own loops. With ``evaluate(x)``, each replayed
    evaluation first runs a real one, not timed: the caches are then left as a fit
    leaves them (the data's pass through them evicts TNC's vectors). A first replay,
    here, checks that TNC asks for the recorded points in order (it is deterministic).
    """
    def replay(check=False):
        it, inside = iter(records), 0.0

        def objective(x):
            nonlocal inside
            t0 = time.perf_counter()
            try:
                x_rec, cost, grad = next(it)
            except StopIteration:
                raise _Replayed from None
            if check and not np.array_equal(x, x_rec):
                raise AssertionError("TNC left the recorded path: not a replay")
            if evaluate is not None:
                evaluate(x)
            grad = grad.copy()
            inside += time.perf_counter() - t0
            return cost, grad

        t0 = time.perf_counter()
        try:
            optimize.minimize(objective, records[0][0], jac=True, method="TNC",
                              callback=lambda xk: None, options={"maxfun": max_fun})
        except _Replayed:
            pass
        return (time.perf_counter() - t0 - inside) / len(records)

    replay(check=True)
    return replay


def fit_overhead(rounds, quick):
    ds = load_dataset("digits20")
    X, y = ds.X_train, ds.y_train
    max_iter = 3 if quick else 50
    if quick:
        X, y = X[:500], y[:500]

    def fit():
        model = NeuralNetwork(hidden_layers=(25,), regularization_parameter=1.0,
                              max_iter=max_iter, optimizer="TNC", random_state=0)
        return model.fit(X, y, callback=lambda info: False)

    with Recorder() as recorder:
        model = fit()
    n_fev = model.n_fev_
    max_fun = model.max_fun or 100 * max_iter
    table = layer_table(model.layer_sizes)
    flat = maths.pack(model.thetas)
    Xc, Y = np.ascontiguousarray(X, dtype=np.float64), maths.output_layout(maths.one_hot(y, 10))
    n_threads = os.cpu_count() or 1
    at = flat.copy()  # where the evaluations are: the fit's end, or the replay's point
    evaluate, split = engine_call(at, table, Xc, Y, 1.0, n_threads)  # as fit evaluates
    executor = ThreadPoolExecutor(n_threads - 1) if n_threads > 1 else None
    floors_of = floor_candidates(Xc, 25, 10, n_threads, executor)
    with blas.BlasLimits(n_threads):  # the floor: the layout fastest here, picked once
        picks = interleaved(floors_of, 31, warm_each=True)
    floor_name = min(picks, key=lambda name: median(picks[name]))
    floor = floors_of[floor_name]

    def evaluate_at(x):
        np.copyto(at, x)
        evaluate()

    with blas.BlasLimits(n_threads):
        replays = {"warm": tnc_replay(recorder.records, max_fun),
                   "as in the fit": tnc_replay(recorder.records, max_fun, evaluate_at)}
    tnc = {name: [] for name in replays}

    def replayer(name):
        def run():
            with blas.BlasLimits(n_threads):
                tnc[name].append(replays[name]())
        run.settle = SPIN_SETTLE
        return run

    def evaluations():
        np.copyto(at, flat)
        with blas.BlasLimits(n_threads):
            for _ in range(n_fev):
                evaluate()

    def floors():
        with blas.BlasLimits(n_threads):
            for _ in range(n_fev):
                floor()

    for run in (fit, evaluations, floors):  # each starts with no BLAS worker spinning
        run.settle = SPIN_SETTLE

    # TNC's replays run in the same rounds: every part of table 3 is timed side by side.
    times = interleaved({"fit": fit, "evaluations": evaluations, "floor": floors,
                         **{f"TNC {name}": replayer(name) for name in replays}},
                        rounds, warmup=0)
    if split is not None:
        split.close()
    if executor is not None:
        executor.shutdown()
    t = {k: median(v) for k, v in times.items()}
    per_round = lambda a, b: median([x / y for x, y in zip(times[a], times[b])])  # noqa: E731
    rounds_of = [{"fit": f, "evaluations": e, "floor": fl, "TNC warm": w, "TNC as in the fit": c}
                 for f, e, fl, w, c in zip(times["fit"], times["evaluations"], times["floor"],
                                           tnc["warm"], tnc["as in the fit"])]
    measured = {"n_fev": n_fev, "n_threads": n_threads, "rounds": rounds_of}
    return measured, [[f"digits20 {X.shape[0]}x400-25-10, TNC, lambda 1, {max_iter} it", n_fev,
             f"{t['fit']:.2f}", f"{t['evaluations']:.2f}", f"{t['floor']:.2f}",
             f"{per_round('fit', 'evaluations'):.3f}x", f"{per_round('fit', 'floor'):.3f}x",
             f"{per_round('evaluations', 'floor'):.3f}x", floor_name]]


def parts_table(measured):
    """Return ``(headers, rows)``: the default run's time per evaluation, part by part.

    Every part is taken as a fraction of the floor in each round (the parts of one
    round ran within a minute, the rounds further apart on a noisy machine), and
    the table gives the median fraction over the rounds; its ms are that fraction of
    the median floor. The parts add up to the fit in each round, not always in the
    medians.
    """
    n, rounds = measured["n_fev"], measured["rounds"]
    floors = [r["floor"] / n for r in rounds]
    floor = median(floors)

    def part(fraction_of):
        return median([fraction_of(r, fl) for r, fl in zip(rounds, floors)])

    parts = [
        ("floor: the five products", 1.0),
        ("the engine's evaluation beyond the floor (evaluations alone - floor)",
         part(lambda r, fl: r["evaluations"] / n / fl - 1)),
        ("TNC's own work, replayed through `minimize` after a real evaluation each "
         "(the caches as in the fit)", part(lambda r, fl: r["TNC as in the fit"] / fl)),
        ("the rest: objective bookkeeping, callbacks, setup (fit - evaluations - TNC)",
         part(lambda r, fl: (r["fit"] - r["evaluations"]) / n / fl - r["TNC as in the fit"] / fl)),
        (f"**fit** ({n} evaluations)", part(lambda r, fl: r["fit"] / n / fl)),
        ("(TNC's own work replayed alone, its vectors left in cache)",
         part(lambda r, fl: r["TNC warm"] / fl)),
    ]
    rows = [[name, f"{1e3 * f * floor:.3f}", f"{f:.3f}x"] for name, f in parts]
    return ["per evaluation", "ms", "of the floor"], rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of the step table")
    parser.add_argument("--fit-rounds", type=int, default=None, help="rounds of the fit table")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 101)
    fit_rounds = args.fit_rounds or (1 if args.quick else 5)
    start = time.perf_counter()
    print("## Where the time goes\n")
    for line in blas_summary():
        print(f"- {line}")
    print(f"- load average at start: {load_average()}\n")
    size = dict(m=500, n=40, h=16, p=10) if args.quick else {}
    for n_threads in sorted({1, os.cpu_count() or 1}):
        print(f"One evaluation, float64, {n_threads} thread(s), medians of {rounds} rounds:\n")
        print(markdown_table(["step", "ms", "share"], step_table(n_threads, rounds, **size)))
        print()
    print(f"The default run against its evaluations (medians of {fit_rounds} interleaved "
          "rounds, numpy's pool every core, as fit):\n")
    headers = ["run", "evaluations", "fit s", "evaluations alone s", "at floor speed s",
               "fit / evaluations", "fit / floor", "evaluations / floor", "floor's layout"]
    measured, rows = fit_overhead(fit_rounds, args.quick)
    print(markdown_table(headers, rows))
    print("\nThe default run per evaluation, part by part (medians of the rounds' fractions):\n")
    print(markdown_table(*parts_table(measured)))
    print(f"\n- load average at the end: {load_average()}")
    print(f"\nTotal bench time: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
