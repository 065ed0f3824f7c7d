"""Gradient checking you can break: the real backprop passes, each bug fails clearly."""

import ast
from pathlib import Path

import numpy as np
import pytest

from server.core.gradcheck import (
    FAIL_THRESHOLD,
    PASS_TOLERANCE,
    check_at,
    check_course,
    course_problem,
    debug_weights,
    sample_coordinates,
)
from server.core.variants import VARIANTS
from server.datasets import load_dataset
from server.network import NeuralNetwork

BROKEN = [name for name in VARIANTS if name != "correct"]
CORE = Path(__file__).resolve().parent.parent / "server" / "core"


def test_debug_weights_are_the_courses_sin_fill():
    # The course's Theta1 for 3 inputs and 5 hidden units is 5x4, filled column-major
    # with sin(1..20)/10: Theta1(2, 1) = sin(2)/10 and Theta1(1, 2) = sin(6)/10. Ours is
    # its transpose: row = input (0 = bias), column = unit.
    w = debug_weights(3, 5)
    assert w.shape == (4, 5)
    assert w[0, 1] == pytest.approx(np.sin(2) / 10) and w[1, 0] == pytest.approx(np.sin(6) / 10)
    thetas, X, Y = course_problem()
    assert [t.shape for t in thetas] == [(4, 5), (6, 3)]
    assert X.shape == (5, 3) and X[1, 0] == pytest.approx(np.sin(2) / 10)
    assert X[0, 1] == pytest.approx(np.sin(6) / 10)
    # y = 1 + mod(1:m, 3) in the course: classes 2, 3, 1, 2, 3 (1-based)
    assert np.argmax(Y, axis=1).tolist() == [1, 2, 0, 1, 2]


def test_the_real_backprop_passes_the_courses_check():
    result = check_course("correct")
    assert result.relative_difference <= PASS_TOLERANCE
    assert len(result.coordinates) == 38 and result.coordinates[0] == (0, 0, 0)
    np.testing.assert_allclose(result.numeric, result.analytic, atol=1e-10)


@pytest.mark.parametrize("variant", BROKEN)
def test_each_broken_variant_fails_the_courses_check(variant):
    assert check_course(variant).relative_difference >= FAIL_THRESHOLD


@pytest.fixture(scope="module")
def trained():
    ds = load_dataset("digits20")
    model = NeuralNetwork((25,), 3.0, max_iter=15, random_state=0).fit(ds.X_train, ds.y_train)
    rows = np.random.default_rng(0).choice(ds.X_train.shape[0], 20, replace=False)
    Y = np.eye(10)[ds.y_train[rows]]
    coords = sample_coordinates(model.layer_sizes, 40, np.random.default_rng(0))
    return model, ds.X_train[rows], Y, coords


def test_the_sampled_coordinates_always_hold_bias_rows(trained):
    model, _, _, coords = trained
    assert len(coords) == 40 == len(set(coords))
    table_starts = [0, 401 * 25]
    for start, cols in zip(table_starts, (25, 10)):
        assert any(start <= i < start + cols for i in coords)
    assert sample_coordinates((2, 2, 2), 40, np.random.default_rng(0)) == list(range(12))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_on_a_trained_400_25_10_network_only_the_real_backprop_passes(trained, variant):
    model, X, Y, coords = trained
    result = check_at(model.thetas, X, Y, 3.0, coords, variant)
    if variant == "correct":
        assert result.relative_difference <= PASS_TOLERANCE
    else:
        assert result.relative_difference >= FAIL_THRESHOLD


def test_lambda_bugs_cannot_show_without_regularisation(trained):
    model, X, Y, coords = trained
    for variant in ("bias_regularized", "cost_missing_lambda"):
        assert check_at(model.thetas, X, Y, 0.0, coords, variant).relative_difference <= (
            PASS_TOLERANCE)
        assert VARIANTS[variant].hidden_at(0.0)
    assert VARIANTS["cost_missing_lambda"].hidden_at(1.0)
    assert VARIANTS["bias_regularized"].hidden_at(1.0) is None


def test_nothing_on_the_training_path_can_reach_a_broken_variant():
    for name in ("estimator.py", "optimizers.py", "maths.py", "modelfile.py"):
        tree = ast.parse((CORE / name).read_text())
        imported = {node.module for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module}
        assert not any(m.endswith(("variants", "gradcheck")) for m in imported), name
