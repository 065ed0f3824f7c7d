"""A run's history built from a fitted model and checked before a file is read
(survivors of `make mutate` in server/core/runfile.py)."""

from __future__ import annotations

import re
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


# -- the history's own checks, lookups and file parts ------------------------------


def history(**kw):
    args = {"metrics": {"iteration": [1, 2, 3], "cost": [3.0, 2.0, 1.0]}, "kept": [1, 3],
            "thetas": [np.arange(12, dtype=np.float32).reshape(2, 3, 2)]}
    args.update(kw)
    return RunHistory(**args)


def test_a_history_keeps_float64_metrics_and_int64_kept_iterations():
    h = history(settings={"lr": 1}, dataset="xor", summary={"reason": "max_iter"})
    assert h.iteration.dtype == np.float64 and h.cost.tolist() == [3.0, 2.0, 1.0]
    assert h.kept.dtype == np.int64 and h.kept.tolist() == [1, 3] and len(h) == 3
    assert h.settings == {"lr": 1} and h.dataset == "xor" and h.summary == {"reason": "max_iter"}
    assert RunHistory({"cost": [1.0]}, kept=np.array([[2]])).kept.tolist() == [2]
    assert len(RunHistory({})) == 0 and RunHistory({}).settings == {}
    with pytest.raises(AttributeError, match="^nope$"):
        h.nope  # noqa: B018


@pytest.mark.parametrize("kw, message", [
    ({"metrics": {"a": [1.0, 2.0], "b": [1.0]}},
     "history metrics must be 1-D and of one length, got "),
    ({"metrics": {"a": [[1.0, 2.0]]}},
     "history metrics must be 1-D and of one length, got {(1, 2)}"),
    ({"thetas": [np.zeros((2, 3))]}, "kept weights must be (k=2, rows, cols) stacks"),
    ({"thetas": [np.zeros((3, 3, 2))]}, "kept weights must be (k=2, rows, cols) stacks"),
    ({"kept": [3, 3]}, "kept iterations must increase"),
    ({"kept": [3, 1]}, "kept iterations must increase"),
])
def test_a_malformed_history_is_refused(kw, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        history(**kw)


def test_weights_at_a_kept_iteration_and_not_elsewhere():
    h = history()
    assert h.weights_at(3)[0].tolist() == [[6, 7], [8, 9], [10, 11]]
    many = RunHistory({"cost": [1.0]}, kept=range(1, 8), thetas=[np.zeros((7, 2, 1))])
    with pytest.raises(KeyError, match=re.escape("iteration 9 is not kept; kept are "
                                                 "[1, 2, 3, 4, 5]... (7)")):
        many.weights_at(9)


def test_to_file_and_from_file_give_the_same_history():
    h = history(thetas=[np.arange(12, dtype=np.float64).reshape(2, 3, 2)],
                settings={"lr": 1}, dataset="xor", summary={"reason": "max_iter"})
    meta, arrays = h.to_file()
    assert meta == {"metrics": ["iteration", "cost"], "n_layers": 1, "settings": {"lr": 1},
                    "dataset": "xor", "summary": {"reason": "max_iter"}}
    assert sorted(arrays) == ["history_kept", "history_metrics", "history_theta_0"]
    assert arrays["history_metrics"].tolist() == [[1, 3], [2, 2], [3, 1]]
    assert arrays["history_theta_0"].dtype == np.float32
    back = RunHistory.from_file(meta, arrays, [(3, 2)])
    assert back.cost.tolist() == [3.0, 2.0, 1.0] and back.kept.tolist() == [1, 3]
    assert back.settings == {"lr": 1} and back.dataset == "xor"
    assert back.summary == {"reason": "max_iter"}
    empty_meta, empty_arrays = RunHistory({}).to_file()
    assert empty_arrays["history_metrics"].shape == (0, 0)
    loose = RunHistory.from_file({"metrics": ["iteration", "cost"], "settings": [1],
                                  "dataset": 5, "summary": "x"}, arrays, [(3, 2)])
    assert loose.settings == {} and loose.dataset is None and loose.summary == {}


@pytest.mark.parametrize("meta, change, message", [
    ([], {}, "history metadata must list its metrics"),
    ({"metrics": "cost"}, {}, "history metadata must list its metrics"),
    ({"metrics": ["cost"]}, {}, "history metrics are (3, 2); expected (n, 1)"),
    ({"metrics": ["iteration", "cost"]}, {"history_metrics": np.zeros(2)},
     "history metrics are (2,); expected (n, 2)"),
    ({"metrics": ["iteration", "cost"]}, {"history_theta_0": np.zeros((2, 2, 2))},
     "kept weights (2, 2, 2) do not fit the model's (3, 2)"),
    ({"metrics": ["iteration", "cost"]}, {"history_theta_0": np.full((2, 3, 2), np.nan)},
     "kept weights (2, 3, 2) do not fit the model's (3, 2)"),
])
def test_from_file_refuses_parts_that_do_not_fit(meta, change, message):
    _, arrays = history().to_file()
    arrays.update(change)
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        RunHistory.from_file(meta, arrays, [(3, 2)])


def test_history_members_of_unsigned_or_boolean_type_are_refused():
    for dtype in (np.dtype(np.uint8), np.dtype(bool)):
        with pytest.raises(ValueError, match=f"^history_kept must hold numbers, got {dtype}$"):
            check_members(headers(history_kept=((1,), dtype)), 1)
    check_members(headers(history_kept=((1,), np.dtype(np.int32))), 1)


def test_from_model_keeps_the_iteration_the_model_counts():
    model = SimpleNamespace(thetas=THETAS, cost_history_=[2.0, 1.0], n_iter_=7)  # warm start
    assert RunHistory.from_model(model).kept.tolist() == [7]
    bare = RunHistory.from_model(SimpleNamespace(thetas=THETAS))  # never fitted in Python
    assert len(bare) == 0 and bare.kept.tolist() == [0] and bare.cost.tolist() == []


def test_a_history_can_be_copied():
    import copy

    h = history()
    clone = copy.deepcopy(h)
    assert clone.cost.tolist() == h.cost.tolist() and clone.kept.tolist() == [1, 3]


def test_kept_iterations_read_as_floats_become_integers():
    h = RunHistory({"cost": [1.0, 2.0, 3.0]}, kept=np.array([1.0, 3.0]),
                   thetas=[np.zeros((2, 2, 1))])
    assert h.kept.dtype == np.int64 and h.kept.tolist() == [1, 3]
