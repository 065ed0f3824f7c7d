"""Argument checks and a trained network's measures, called directly (survivors of
`make mutate` in server/core/checks.py and server/core/metrics.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from server.core.checks import check_float, check_int, check_thetas, check_X
from server.core.metrics import confusion_matrix, count_parameters


def refused(message):
    return pytest.raises(ValueError, match=f"^{re.escape(message)}$")


# -- check_int -------------------------------------------------------------


def test_check_int_accepts_the_bounds_themselves_and_returns_a_python_int():
    assert check_int("n", 1, 1, 3) == 1
    assert check_int("n", 3, 1, 3) == 3
    value = check_int("n", np.int64(7), 0)
    assert value == 7 and type(value) is int


@pytest.mark.parametrize("value, message", [
    (0, "n must be in [1, 3], got 0"),
    (4, "n must be in [1, 3], got 4"),
    (True, "n must be an integer, got True"),
    (2.0, "n must be an integer, got 2.0"),
    ("2", "n must be an integer, got '2'"),
])
def test_check_int_names_the_argument_and_its_range(value, message):
    with refused(message):
        check_int("n", value, 1, 3)


def test_check_int_without_an_upper_bound_says_at_least():
    with refused("batch_size must be >= 1, got 0"):
        check_int("batch_size", 0, 1)
    assert check_int("batch_size", 10**12, 1) == 10**12


# -- check_float -----------------------------------------------------------


def test_check_float_accepts_a_closed_lower_bound_and_numeric_text():
    assert check_float("lam", 0, low=0.0) == 0.0
    assert check_float("lam", "2.5", low=0.0) == 2.5
    assert check_float("x", -1e300) == -1e300  # no bound: any finite number


@pytest.mark.parametrize("value, low, low_open, message", [
    (0.0, 0.0, True, "rate must be a finite number > 0.0, got 0.0"),
    (-0.5, 0.0, False, "rate must be a finite number >= 0.0, got -0.5"),
    (float("nan"), None, False, "rate must be a finite number >= None, got nan"),
    (float("inf"), 0.0, False, "rate must be a finite number >= 0.0, got inf"),
    (None, 0.0, False, "rate must be a number, got None"),
    ("fast", 0.0, False, "rate must be a number, got 'fast'"),
])
def test_check_float_names_the_argument_and_its_bound(value, low, low_open, message):
    with refused(message):
        check_float("rate", value, low=low, low_open=low_open)


def test_check_float_open_bound_accepts_just_above_it():
    assert check_float("rate", 1e-300, low=0.0, low_open=True) == 1e-300


# -- check_X ---------------------------------------------------------------


def test_check_X_returns_the_array_and_checks_the_feature_count():
    X = check_X([[1, 2], [3, 4]], n_features=2)
    assert isinstance(X, np.ndarray) and X.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("X, kwargs, message", [
    ([1.0, 2.0], {}, "X must be a 2-D array (n_samples, n_features), got shape (2,)"),
    (np.zeros((0, 3)), {}, "X must have at least one sample and one feature, got (0, 3)"),
    (np.zeros((3, 0)), {}, "X must have at least one sample and one feature, got (3, 0)"),
    ([["a", "b"]], {}, "X must hold real numbers, got dtype <U1"),
    (np.ones((1, 2), complex), {}, "X must hold real numbers, got dtype complex128"),
    ([[1.0, np.nan]], {}, "X holds NaN or infinite values; all values must be finite"),
    ([[1.0, -np.inf]], {}, "X holds NaN or infinite values; all values must be finite"),
    ([[1.0, 2.0]], {"n_features": 3}, "X must have 3 features (columns), got 2"),
    ([[1.0, 2.0]], {"name": "X_val", "n_features": 1},
     "X_val must have 1 features (columns), got 2"),
])
def test_check_X_refuses_with_the_name_and_the_fault(X, kwargs, message):
    with refused(message):
        check_X(X, **kwargs)


# -- check_thetas ----------------------------------------------------------


def test_check_thetas_returns_float64_copies():
    given = [np.arange(6, dtype=np.int32).reshape(3, 2), np.ones((3, 1), np.float32)]
    out = check_thetas(tuple(given))
    assert [t.dtype for t in out] == [np.float64, np.float64]
    assert out[0].tolist() == [[0, 1], [2, 3], [4, 5]]
    out[1][0, 0] = 5.0
    assert given[1][0, 0] == 1.0  # a copy, not a view


NOT_A_LIST = "thetas must be a non-empty list of 2-D arrays (n_in + 1, n_out)"


@pytest.mark.parametrize("thetas, message", [
    (np.ones((3, 2)), NOT_A_LIST),
    ([], NOT_A_LIST),
    ("abc", NOT_A_LIST),
    ([np.ones(3)], "thetas[0] must be 2-D (n_in + 1, n_out), got shape (3,)"),
    ([np.ones((1, 2))], "thetas[0] must be 2-D (n_in + 1, n_out), got shape (1, 2)"),
    ([np.ones((3, 2)), np.ones((3, 0))],
     "thetas[1] must be 2-D (n_in + 1, n_out), got shape (3, 0)"),
    ([np.array([["a", "b"], ["c", "d"]])], "thetas[0] must hold real numbers, got dtype <U1"),
    ([np.ones((2, 2), bool)], "thetas[0] must hold real numbers, got dtype bool"),
    ([np.ones((3, 2)), np.full((3, 1), np.inf)], "thetas[1] holds NaN or infinite values"),
    ([np.ones((3, 2)), np.ones((4, 1))],
     "thetas[1] has 4 rows but thetas[0] has 2 outputs: expected 3 rows (bias + inputs)"),
])
def test_check_thetas_names_the_matrix_and_its_fault(thetas, message):
    with refused(message):
        check_thetas(thetas)


def test_check_thetas_takes_the_smallest_shapes():
    out = check_thetas([np.ones((2, 1)), np.ones((2, 1))])
    assert [t.shape for t in out] == [(2, 1), (2, 1)]


# -- metrics ---------------------------------------------------------------


def test_count_parameters_counts_a_bias_per_unit():
    assert count_parameters((400, 25, 10)) == 401 * 25 + 26 * 10
    assert count_parameters([3, 2]) == 8
    assert count_parameters((5,)) == 0


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    classes = np.array([3, 5, 7])
    y_true = np.array([3, 3, 5, 7, 7, 7, 9])  # 9: unknown to the model, left out
    y_pred = np.array([3, 5, 5, 7, 3, 7, 5])
    matrix, pred_index = confusion_matrix(classes, y_true, y_pred)
    assert matrix.dtype == np.int64
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert pred_index.tolist() == [0, 1, 1, 2, 0, 2, 1]


def test_confusion_matrix_with_string_classes():
    matrix, pred_index = confusion_matrix(["a", "b"], np.array(["b", "b"]),
                                          np.array(["a", "b"]))
    assert matrix.tolist() == [[0, 0], [1, 1]]
    assert pred_index.tolist() == [0, 1]
