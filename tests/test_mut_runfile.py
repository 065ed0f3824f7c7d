"""A run's history built from a fitted model and checked before a file is read
(survivors of `make mutate` in server/core/runfile.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from server.core.runfile import MAX_HISTORY_BYTES, RunHistory, check_members

THETAS = [np.arange(6, dtype=np.float64).reshape(3, 2) / 7, np.ones((3, 1))]


def test_from_model_takes_every_history_list_the_weights_and_how_it_ended():
    model = SimpleNamespace(thetas=THETAS, cost_history_=[3.0, 2.0, 1.5],
                            val_cost_history_=[3.1, 2.2, 1.9],
                            train_accuracy_history_=[0.5, 0.6, 0.7],
                            val_accuracy_history_=[0.4, 0.5, 0.55],
                            n_iter_=3, stop_reason_="max_iter", n_fev_=11)
    h = RunHistory.from_model(model)
    assert list(h.metrics) == ["iteration", "cost", "val_cost", "train_accuracy", "val_accuracy"]
    np.testing.assert_array_equal(h.iteration, [1, 2, 3])
    np.testing.assert_array_equal(h.cost, [3.0, 2.0, 1.5])
    np.testing.assert_array_equal(h.val_cost, [3.1, 2.2, 1.9])
    np.testing.assert_array_equal(h.train_accuracy, [0.5, 0.6, 0.7])
    np.testing.assert_array_equal(h.val_accuracy, [0.4, 0.5, 0.55])
    assert h.kept.tolist() == [3]
    assert [t.dtype for t in h.thetas] == [np.float32, np.float32]
    np.testing.assert_array_equal(h.weights_at(3)[0], THETAS[0].astype(np.float32))
    assert h.summary == {"reason": "max_iter", "n_fev": 11}


def test_from_model_fills_what_a_model_lacks():
    model = SimpleNamespace(thetas=THETAS, cost_history_=[2.0, 1.0])  # no validation, no ending
    h = RunHistory.from_model(model)
    assert len(h) == 2 and h.kept.tolist() == [2]  # n_iter_ missing: the last iteration
    assert np.isnan(h.val_cost).all() and np.isnan(h.train_accuracy).all()
    assert np.isnan(h.val_accuracy).all()
    assert h.summary == {"reason": None, "n_fev": 0}
    short = SimpleNamespace(thetas=THETAS, cost_history_=[2.0, 1.0], val_cost_history_=[5.0],
                            n_iter_=0, n_fev_=None)
    h = RunHistory.from_model(short)
    assert np.isnan(h.val_cost).all() and h.kept.tolist() == [2] and h.summary["n_fev"] == 0


def headers(n_layers=1, **changes):
    out = {"history_metrics": ((4, 2), np.dtype(np.float64)),
           "history_kept": ((1,), np.dtype(np.int64))}
    out.update({f"history_theta_{i}": ((1, 3, 2), np.dtype(np.float32)) for i in range(n_layers)})
    out.update(changes)
    return out


def test_history_members_must_be_exactly_the_expected_arrays():
    check_members(headers(2), 2)
    with pytest.raises(ValueError, match=r"^history arrays must be \['history_kept', "
                                         r"'history_metrics', 'history_theta_0'\], got "):
        check_members(headers(2), 1)


@pytest.mark.parametrize("dtype", [np.dtype("U3"), np.dtype(object), np.dtype(np.complex64)])
def test_history_members_must_hold_numbers(dtype):
    with pytest.raises(ValueError, match=rf"^history_kept must hold numbers, got {dtype}$"):
        check_members(headers(history_kept=((1,), dtype)), 1)


def test_history_members_are_capped_by_their_declared_size():
    rows = MAX_HISTORY_BYTES // 8 // 2  # float64, two columns: exactly the cap with the rest
    at_cap = headers(history_metrics=((rows, 2), np.dtype(np.float64)),
                     history_kept=((0,), np.dtype(np.int64)),
                     history_theta_0=((0, 3, 2), np.dtype(np.float32)))
    check_members(at_cap, 1)
    over = dict(at_cap, history_kept=((1,), np.dtype(np.int64)))
    with pytest.raises(ValueError, match=rf"^history arrays declare {MAX_HISTORY_BYTES + 8:,} "
                                         rf"bytes; at most {MAX_HISTORY_BYTES:,} allowed$"):
        check_members(over, 1)
