"""A full-batch evaluation split into row blocks on threads (server/core/rowsplit.py)."""

import threading

import numpy as np
import pytest

from server.core import maths, rowsplit
from server.core.maths import layer_table, loss_and_grad, one_hot, pack
from server.core.rowsplit import RowSplit


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
