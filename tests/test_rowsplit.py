"""A full-batch evaluation split into row blocks on threads (server/core/rowsplit.py)."""

import os
import sys
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from server.core import maths, rowsplit
from server.core.maths import layer_table, loss_and_grad, one_hot, pack
from server.core.rowsplit import RowSplit
from server.network import NeuralNetwork


def problem(m, sizes, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(m, sizes[0])).astype(dtype)
    Y = maths.output_layout(one_hot(rng.integers(0, sizes[-1], m), sizes[-1], dtype))
    table = layer_table(sizes)
    flat = pack([rng.uniform(-0.5, 0.5, shape) for _, _, shape in table], dtype)
    return X, Y, table, flat


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize("sizes, activation", [([7, 5, 3], "logistic"),
                                                ([6, 5, 4, 3], "tanh")])
def test_a_split_evaluation_is_the_whole_one(dtype, tol, n_threads, sizes, activation):
    X, Y, table, flat = problem(301, sizes, dtype)  # 301 rows: blocks of unequal size
    cost, grad, output = loss_and_grad(flat, table, X, Y, 0.7, activation=activation)
    grad = grad.copy()
    with RowSplit(X, Y, n_threads) as split:
        for _ in range(2):  # the second call reuses the blocks' buffers
            c, g, o = loss_and_grad(flat, table, X, Y, 0.7, activation=activation, split=split)
            assert c == pytest.approx(cost, rel=tol)
            np.testing.assert_allclose(g, grad, rtol=tol, atol=tol * np.abs(grad).max())
            np.testing.assert_allclose(o, output, rtol=tol)
            assert g.dtype == dtype and o.shape == output.shape


def test_the_blocks_cover_every_row_once():
    X, Y, _, _ = problem(10, [3, 2, 2])
    with RowSplit(X, Y, 3) as split:
        assert [(r.start, r.stop) for r in split.rows] == [(0, 3), (3, 6), (6, 10)]
        for rows, (Xb, Yb) in zip(split.rows, split.blocks):
            assert np.shares_memory(Xb, X)  # a view: the data are not copied
            np.testing.assert_array_equal(Yb, Y[rows])


def test_a_split_refuses_other_data_and_too_many_threads():
    X, Y, table, flat = problem(50, [4, 3, 2])
    with RowSplit(X, Y, 2) as split:
        with pytest.raises(ValueError, match="RowSplit of this X and Y"):
            loss_and_grad(flat, table, X.copy(), Y, 0.0, split=split)
    with pytest.raises(ValueError, match=r"n_threads must be in \[2, 50\]"):
        RowSplit(X, Y, 51)
    with pytest.raises(ValueError, match=r"n_threads must be in \[2, 50\]"):
        RowSplit(X, Y, 1)


def test_for_fit_splits_only_when_every_thread_gets_enough_rows():
    X, Y, _, _ = problem(rowsplit.MIN_ROWS_PER_THREAD * 2, [3, 2, 2])
    assert RowSplit.for_fit(X, Y, 1) is None
    assert RowSplit.for_fit(X[:-1], Y[:-1], 2) is None
    split = RowSplit.for_fit(X, Y, 2)
    assert split is not None and split.n_threads == 2
    split.close()


def test_a_failing_block_waits_for_the_others(monkeypatch):
    """The first block fails: the error comes out only after every other block ended,
    so no thread still writes a buffer the next evaluation reads."""
    X, Y, table, flat = problem(40, [4, 3, 2])
    original = maths._backprop_rows
    ended = []

    def rows(thetas, grads, Xb, *args):
        if Xb.ctypes.data == X.ctypes.data:  # the first block starts where X starts
            raise RuntimeError("first block")
        threading.Event().wait(0.2)
        result = original(thetas, grads, Xb, *args)
        ended.append(True)
        return result

    monkeypatch.setattr(maths, "_backprop_rows", rows)
    with RowSplit(X, Y, 2) as split, pytest.raises(RuntimeError, match="first block"):
        loss_and_grad(flat, table, X, Y, 0.0, split=split)
    assert ended == [True]


def test_a_failing_helper_block_is_raised_after_all_ended_and_the_split_goes_on(monkeypatch):
    """A block on a helper thread fails: its error is raised once every block ended;
    the other helper's and the caller's blocks ran, and the next evaluation is right."""
    X, Y, table, flat = problem(60, [4, 3, 2])
    cost, grad, _ = loss_and_grad(flat, table, X, Y, 0.0)
    grad = grad.copy()
    original = maths._backprop_rows
    ran, fail = [], [True]

    def rows(thetas, grads, Xb, *args):
        if fail[0] and Xb.ctypes.data == X[20:].ctypes.data:  # the second of three blocks
            raise RuntimeError("second block")
        result = original(thetas, grads, Xb, *args)
        ran.append(Xb.shape[0])
        return result

    monkeypatch.setattr(maths, "_backprop_rows", rows)
    before = [t for t in threading.enumerate() if t.name.startswith("rows")]
    with RowSplit(X, Y, 3) as split:
        with pytest.raises(RuntimeError, match="second block"):
            loss_and_grad(flat, table, X, Y, 0.0, split=split)
        assert sorted(ran) == [20, 20]  # the first and the third block
        fail[0] = False
        c, g, _ = loss_and_grad(flat, table, X, Y, 0.0, split=split)
    assert c == pytest.approx(cost, rel=1e-12)
    np.testing.assert_allclose(g, grad, rtol=1e-12, atol=1e-15)
    assert [t for t in threading.enumerate() if t.name.startswith("rows")] == before  # joined


def _fit_watching_threads(monkeypatch, optimizer, min_rows):
    monkeypatch.setattr(rowsplit, "MIN_ROWS_PER_THREAD", min_rows)
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(400, 6))
    y = (X[:, 0] > X[:, 1]).astype(int)
    seen = []

    def watch(info):
        names = [t.name for t in threading.enumerate()]
        numpy_pools = [d["num_threads"] for d in threadpool_info()
                       if "numpy" in d["filepath"]]
        seen.append((sum(n.startswith("rows") for n in names), numpy_pools))

    model = NeuralNetwork((5,), max_iter=3, optimizer=optimizer, n_threads=2,
                          random_state=0, batch_size=100)
    model.fit(X, y, callback=watch)
    return model, seen


def test_a_full_batch_fit_runs_its_rows_on_threads_with_a_one_thread_blas(monkeypatch):
    before = [t for t in threading.enumerate() if t.name.startswith("rows")]
    model, seen = _fit_watching_threads(monkeypatch, "TNC", min_rows=100)
    assert seen and all(n == 1 for n, _ in seen)  # one helper: the fit's thread is the other
    assert all(set(pools) == {1} for _, pools in seen)
    assert [t for t in threading.enumerate() if t.name.startswith("rows")] == before
    assert model.n_iter_ == 3


def test_a_small_set_or_a_mini_batch_fit_keeps_a_threaded_blas(monkeypatch):
    for optimizer, min_rows in [("TNC", 201), ("adam", 100)]:
        _, seen = _fit_watching_threads(monkeypatch, optimizer, min_rows)
        assert seen and all(n == 0 for n, _ in seen)
        assert all(set(pools) == {2} for _, pools in seen)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_the_row_threads_run_at_the_nice_of_the_training_that_starts_them(monkeypatch):
    """The server lowers a training's thread below the request threads before it fits
    (server/threads.py); the row threads the fit starts inherit that, as its BLAS
    workers are lowered with it."""
    nices = []

    def train():
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, os.getpriority(os.PRIO_PROCESS, me) + 2)
        nices.append(os.getpriority(os.PRIO_PROCESS, me))
        monkeypatch.setattr(rowsplit, "MIN_ROWS_PER_THREAD", 100)
        rng = np.random.default_rng(1)
        X = rng.uniform(size=(300, 4))
        y = (X[:, 0] > 0.5).astype(int)

        def watch(info):
            rows = [t.native_id for t in threading.enumerate() if t.name.startswith("rows")]
            nices.extend(os.getpriority(os.PRIO_PROCESS, tid) for tid in rows)

        NeuralNetwork((3,), max_iter=2, optimizer="TNC", n_threads=2,
                      random_state=0).fit(X, y, callback=watch)

    worker = threading.Thread(target=train)
    worker.start()
    worker.join()
    assert len(nices) >= 2 and set(nices) == {nices[0]}
