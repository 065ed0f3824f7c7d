"""The broken backprops, the gradient check and the explanation of one input, on tiny
networks against an independent per-sample loop (survivors of `make mutate` in
server/core/variants.py, gradcheck.py and explain.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_activations import loop_cost_and_gradient

from server.core.explain import contributions, explain_sample, full_gradient
from server.core.gradcheck import (
    _relative_difference,
    check_at,
    check_course,
    check_gradients,
    course_problem,
    debug_weights,
    sample_coordinates,
)
from server.core.maths import layer_table, pack, unpack
from server.core.variants import VARIANTS


def tiny(hidden=(3,), n=2, p=2, m=4, seed=1):
    """Random thetas and data of an n-hidden-p network on m samples."""
    rng = np.random.default_rng(seed)
    sizes = (n,) + hidden + (p,)
    thetas = [rng.uniform(-1, 1, size=(a + 1, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    X = rng.uniform(-1, 1, size=(m, n))
    y = np.arange(m) % p
    return thetas, X, y, np.eye(p)[y], layer_table(sizes)


def variant(name, thetas, X, Y, table, lam, activation="logistic"):
    cost, grad = VARIANTS[name].loss_and_grad(pack(thetas), table, X, Y, lam, activation)
    return cost, unpack(grad, table)


# -- variants: each bug against the reference, by its own formula -----------------


@pytest.mark.parametrize("activation", ["logistic", "tanh"])
def test_the_correct_variant_is_the_reference_backprop(activation):
    thetas, X, y, Y, table = tiny()
    cost, grads = variant("correct", thetas, X, Y, table, 2.0, activation)
    ref_cost, ref_grads = loop_cost_and_gradient(thetas, X, y, 2.0, activation)
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-14)


def test_bias_regularized_adds_lambda_over_m_theta_to_the_bias_rows_only():
    thetas, X, y, Y, table = tiny(m=4)
    cost, grads = variant("bias_regularized", thetas, X, Y, table, 2.0)
    ref_cost, ref_grads = loop_cost_and_gradient(thetas, X, y, 2.0, "logistic")
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    for t, g, r in zip(thetas, grads, ref_grads):
        np.testing.assert_allclose(g[0], r[0] + 2.0 / 4 * t[0], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(g[1:], r[1:], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("lam", [0.0, 2.0])
def test_cost_missing_lambda_divides_the_penalty_by_lambda_and_keeps_the_gradient(lam):
    thetas, X, y, Y, table = tiny(m=4)
    cost, grads = variant("cost_missing_lambda", thetas, X, Y, table, lam)
    data_cost, ref_grads = loop_cost_and_gradient(thetas, X, y, 0.0, "logistic")
    squares = sum(np.sum(t[1:] ** 2) for t in thetas)
    assert cost == pytest.approx(data_cost + (squares / 8 if lam else 0.0), rel=1e-12)
    _, ref_grads = loop_cost_and_gradient(thetas, X, y, lam, "logistic")
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-14)


def test_no_activation_derivative_drops_g_prime_from_the_hidden_deltas():
    thetas, X, y, Y, table = tiny(hidden=(3,), m=4)
    cost, grads = variant("no_activation_derivative", thetas, X, Y, table, 1.0)
    ref_cost, ref_grads = loop_cost_and_gradient(thetas, X, y, 1.0, "logistic")
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    np.testing.assert_allclose(grads[1], ref_grads[1], rtol=1e-10)  # the output layer
    # By hand: delta1 = (out - Y) Theta2[1:]^T, no a (1 - a) factor.
    ones = np.ones((4, 1))
    a1 = 1 / (1 + np.exp(-(np.hstack([ones, X]) @ thetas[0])))
    out = 1 / (1 + np.exp(-(np.hstack([ones, a1]) @ thetas[1])))
    delta1 = (out - Y) @ thetas[1][1:].T
    want = np.hstack([ones, X]).T @ delta1 / 4
    want[1:] += thetas[0][1:] / 4
    np.testing.assert_allclose(grads[0], want, rtol=1e-10)


def test_missing_1_over_m_sums_the_data_gradient_over_the_samples():
    thetas, X, y, Y, table = tiny(m=4)
    cost, grads = variant("missing_1_over_m", thetas, X, Y, table, 2.0)
    _, data_grads = loop_cost_and_gradient(thetas, X, y, 0.0, "logistic")
    ref_cost, _ = loop_cost_and_gradient(thetas, X, y, 2.0, "logistic")
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    for t, g, d in zip(thetas, grads, data_grads):
        want = 4 * d
        want[1:] += 2.0 / 4 * t[1:]
        np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-14)


def test_each_variant_says_when_its_bug_cannot_show():
    hidden = {name: v.hidden_at for name, v in VARIANTS.items()}
    assert [hidden["correct"](lam) for lam in (0, 1, 3)] == [None, None, None]
    assert hidden["bias_regularized"](0) == "λ = 0: without regularisation this bug changes nothing"
    assert hidden["bias_regularized"](0.5) is None
    assert hidden["cost_missing_lambda"](1) == (
        "λ = 1: multiplying by λ changes nothing, so this bug cannot show")
    assert hidden["cost_missing_lambda"](0.0) == (
        "λ = 0: multiplying by λ changes nothing, so this bug cannot show")
    assert hidden["cost_missing_lambda"](2) is None
    for name in ("no_activation_derivative", "missing_1_over_m"):
        assert hidden[name](0) is None
    assert list(VARIANTS) == ["correct", "bias_regularized", "cost_missing_lambda",
                              "no_activation_derivative", "missing_1_over_m"]
    assert VARIANTS["correct"].label == "Real backprop"


# -- gradcheck -------------------------------------------------------------------


def test_relative_difference_is_the_norm_ratio_and_zero_when_both_vanish():
    assert _relative_difference(np.array([3.0, 0.0]), np.array([1.0, 0.0])) == 0.5
    assert _relative_difference(np.array([1.0, -1.0]), np.array([-1.0, 1.0])) == 0.0
    assert _relative_difference(np.zeros(2), np.zeros(2)) == 0.0


def test_check_at_takes_the_fourth_order_difference_of_the_variants_cost():
    thetas, X, y, Y, table = tiny(hidden=(2,), m=3)
    coords = [0, 5, 6, 11]  # rows and columns of both matrices, the bias included
    result = check_at(thetas, X, Y, 1.5, coords)
    assert result.coordinates == [(0, 0, 0), (0, 2, 1), (1, 0, 0), (1, 2, 1)]
    _, ref_grads = loop_cost_and_gradient(thetas, X, y, 1.5, "logistic")
    flat_ref = pack(ref_grads)
    np.testing.assert_allclose(result.analytic, flat_ref[coords], rtol=1e-12)
    np.testing.assert_allclose(result.numeric, flat_ref[coords], rtol=1e-8, atol=1e-12)
    assert result.relative_difference < 1e-9
    # by hand at one coordinate, from the reference cost
    def cost_at(shift):
        moved = [t.copy() for t in thetas]
        moved[1][2, 1] += shift
        return loop_cost_and_gradient(moved, X, y, 1.5, "logistic")[0]
    e = 1e-3
    by_hand = (cost_at(-2 * e) - 8 * cost_at(-e) + 8 * cost_at(e) - cost_at(2 * e)) / (12 * e)
    assert result.numeric[3] == pytest.approx(by_hand, rel=1e-9)
    # the weights are left as they were
    assert check_at(thetas, X, Y, 1.5, coords).numeric.tolist() == result.numeric.tolist()


def test_check_at_uses_the_given_epsilon_variant_and_activation():
    thetas, X, y, Y, table = tiny(hidden=(2,), m=3)
    coarse = check_at(thetas, X, Y, 0.0, [1, 4], epsilon=0.5)
    fine = check_at(thetas, X, Y, 0.0, [1, 4])
    assert abs(coarse.numeric - fine.numeric).max() > 1e-6
    _, tanh_grads = loop_cost_and_gradient(thetas, X, y, 0.0, "tanh")
    tanh = check_at(thetas, X, Y, 0.0, [1, 4], activation="tanh")
    np.testing.assert_allclose(tanh.analytic, pack(tanh_grads)[[1, 4]], rtol=1e-12)
    broken = check_at(thetas, X, Y, 0.0, [1, 4], variant="missing_1_over_m")
    np.testing.assert_allclose(broken.analytic, 3 * fine.analytic, rtol=1e-12)


def test_sample_coordinates_takes_bias_per_layer_of_each_bias_row_then_random_ones():
    sizes = (6, 4, 7)  # 28 + 35 = 63 parameters; bias rows [0, 4) and [28, 35)
    table = layer_table(sizes)
    coords = sample_coordinates(sizes, 8, np.random.default_rng(3))  # 4 + 4: bias only
    assert len(coords) == 8 == len(set(coords)) and coords == sorted(coords)
    assert coords[:4] == [0, 1, 2, 3]
    assert all(28 <= c < 35 for c in coords[4:])
    coords = sample_coordinates(sizes, 20, np.random.default_rng(3), bias_per_layer=1)
    assert len(coords) == 20 == len(set(coords)) and all(0 <= c < 63 for c in coords)
    assert any(c < 4 for c in coords) and any(28 <= c < 35 for c in coords)
    again = sample_coordinates(sizes, 20, np.random.default_rng(3), bias_per_layer=1)
    assert again == coords and all(type(c) is int for c in coords)
    assert table[-1][1] == 63
    assert sample_coordinates(sizes, 63, np.random.default_rng(0)) == list(range(63))
    with pytest.raises(ValueError):  # more bias picks than coordinates asked for
        sample_coordinates(sizes, 7, np.random.default_rng(3))


def test_debug_weights_and_the_course_problem_by_value():
    w = debug_weights(1, 2)  # (2, 2): sin(1), sin(2) / sin(3), sin(4), over 10
    np.testing.assert_array_equal(w, np.sin([[1.0, 2.0], [3.0, 4.0]]) / 10)
    thetas, X, Y = course_problem((2,), n_features=2, n_classes=2, n_samples=3)
    assert [t.shape for t in thetas] == [(3, 2), (3, 2)]
    np.testing.assert_array_equal(X, (np.sin(np.arange(1.0, 7.0)) / 10).reshape(2, 3).T)
    assert Y.tolist() == [[0, 1], [1, 0], [0, 1]]


def test_check_course_is_every_coordinate_at_lambda_3():
    result = check_course("cost_missing_lambda")
    thetas, X, Y = course_problem()
    assert result.coordinates[-1] == (1, 5, 2) and len(result.coordinates) == 38
    again = check_at(thetas, X, Y, 3.0, list(range(38)), "cost_missing_lambda")
    assert result.relative_difference == again.relative_difference
    assert check_course(lam=1.0, variant="cost_missing_lambda").relative_difference < 1e-9
    tanh = check_course(activation="tanh")
    np.testing.assert_allclose(
        tanh.analytic, check_at(thetas, X, Y, 3.0, list(range(38)), activation="tanh").analytic)


def test_check_gradients_on_given_weights_and_one_hot_targets():
    thetas, X, y, Y, _ = tiny(hidden=(2,), m=3)
    labels = check_gradients(thetas=thetas, X=X, y=y, regularization_parameter=1.0)
    one_hot = check_gradients(thetas=thetas, X=X, y=Y, regularization_parameter=1.0)
    assert labels == one_hot and 0 < labels < 1e-9
    broken = check_gradients(thetas=thetas, X=X, y=y, variant="missing_1_over_m")
    assert broken == pytest.approx(0.5, abs=1e-6)  # (3 - 1) / (3 + 1) on every coordinate
    some = check_gradients(thetas=thetas, X=X, y=y, variant="missing_1_over_m",
                           n_coordinates=3, random_state=1)
    assert some == pytest.approx(0.5, abs=1e-6)


def test_check_gradients_builds_the_random_problem_it_is_asked_for():
    rng = np.random.default_rng(7)
    sizes = (2, 3, 4)
    thetas = [rng.uniform(-1, 1, size=(a + 1, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    X = rng.uniform(-1, 1, size=(6, 2))
    y = np.arange(6) % 4
    want = check_gradients(thetas=thetas, X=X, y=y, random_state=7, epsilon=0.3,
                           regularization_parameter=0.5)
    got = check_gradients((3,), 0.5, n_features=2, n_classes=4, n_samples=6, epsilon=0.3,
                          random_state=7)
    assert got == want and got > 1e-6  # a coarse epsilon leaves a visible error
    assert check_gradients(random_state=7, activation="relu") < 1e-7


@pytest.mark.parametrize("kwargs, message", [
    ({"activation": "sine"},
     "activation must be one of ('logistic', 'tanh', 'relu'), got 'sine'"),
    ({"variant": "nope"}, "variant must be one of ('correct', 'bias_regularized', "
     "'cost_missing_lambda', 'no_activation_derivative', 'missing_1_over_m'), got 'nope'"),
    ({"regularization_parameter": -1},
     "regularization_parameter must be a finite number >= 0.0, got -1"),
])
def test_check_gradients_refuses_bad_arguments_by_name(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_gradients(**kwargs)


# -- explain ---------------------------------------------------------------------


def test_explain_sample_lays_open_one_input_against_the_reference():
    thetas, X, y, Y, _ = tiny(hidden=(3,), n=2, p=3, m=1)
    e = explain_sample(thetas, X[0], target_index=2, activation="tanh")
    _, ref_grads = loop_cost_and_gradient(thetas, X, np.array([2]), 0.0, "tanh")
    for g, r in zip(e.grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-10)
    z1 = np.concatenate([[1.0], X[0]]) @ thetas[0]
    out = 1 / (1 + np.exp(-(np.concatenate([[1.0], np.tanh(z1)]) @ thetas[1])))
    np.testing.assert_allclose(e.z[0], z1)
    np.testing.assert_allclose(e.a[1], np.tanh(z1))
    np.testing.assert_array_equal(e.a[0], X[0])
    np.testing.assert_allclose(e.delta[1], out - [0, 0, 1])
    assert e.target.tolist() == [0, 0, 1] and e.target_index == 2
    assert e.predicted == int(np.argmax(out))
    want = -(np.log(1 - out[0]) + np.log(1 - out[1]) + np.log(out[2]))
    assert e.cost == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(e.unit_costs, [-np.log(1 - out[0]), -np.log(1 - out[1]),
                                              -np.log(out[2])], rtol=1e-12)


def test_explain_sample_refuses_a_target_outside_the_classes():
    thetas, X, *_ = tiny(p=3, m=1)
    assert explain_sample(thetas, X[0], target_index=0).target_index == 0
    for bad in (3, -1):
        with pytest.raises(ValueError, match=re.escape(
                f"target_index {bad} is out of range [0, 2]")):
            explain_sample(thetas, X[0], target_index=bad)


def test_full_gradient_splits_the_cost_into_data_and_penalty():
    thetas, X, y, Y, _ = tiny(hidden=(3,), m=4)
    full = full_gradient(thetas, X, Y, 2)
    data_cost, _ = loop_cost_and_gradient(thetas, X, y, 0.0, "logistic")
    ref_cost, ref_grads = loop_cost_and_gradient(thetas, X, y, 2.0, "logistic")
    assert full.J == pytest.approx(ref_cost, rel=1e-12)
    assert full.J_data == pytest.approx(data_cost, rel=1e-12)
    assert full.J_reg == pytest.approx(ref_cost - data_cost, rel=1e-12)
    assert full.lam == 2.0 and type(full.lam) is float and full.m == 4
    for g, r in zip(full.grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-10)
    relu = full_gradient(thetas, X, Y, 0.0, activation="relu")
    assert relu.J == pytest.approx(loop_cost_and_gradient(thetas, X, y, 0.0, "relu")[0])


def test_contributions_rank_the_terms_largest_first_ties_in_unit_order():
    theta_out = np.array([[0.5, -1.0], [1.0, 2.0], [2.0, 0.0], [-1.0, 1.0]])
    bias, terms = contributions([1.0, 0.5, 2.0], theta_out, 0)
    assert bias == 0.5 and type(bias) is float
    assert terms == [(0, 1.0), (1, 1.0), (2, -2.0)]
    assert all(type(j) is int and type(v) is float for j, v in terms)
    bias, terms = contributions([1.0, 0.5, 2.0], theta_out, 1)
    assert bias == -1.0 and terms == [(0, 2.0), (2, 2.0), (1, 0.0)]


# -- deeper networks: the last matrix is not the second ----------------------------


def test_explain_sample_on_two_hidden_layers_against_the_reference():
    thetas, X, y, Y, _ = tiny(hidden=(4, 5), n=2, p=3, m=12, seed=4)
    ref = {act: [] for act in ("tanh", "logistic")}
    for i in range(12):
        for act in ref:
            e = explain_sample(thetas, X[i], activation=act)
            ones = [1.0]
            a1 = np.tanh if act == "tanh" else (lambda z: 1 / (1 + np.exp(-z)))
            h1 = a1(np.concatenate([ones, X[i]]) @ thetas[0])
            h2 = a1(np.concatenate([ones, h1]) @ thetas[1])
            z3 = np.concatenate([ones, h2]) @ thetas[2]
            assert e.predicted == e.target_index == int(np.argmax(z3))
            ref[act].append(e.predicted)
            np.testing.assert_allclose(e.z[2], z3, rtol=1e-12)
            out = 1 / (1 + np.exp(-z3))
            np.testing.assert_allclose(e.unit_costs, -np.log(np.where(e.target, out, 1 - out)),
                                       rtol=1e-12)
    assert ref["tanh"] != ref["logistic"]  # the activation decides the prediction


def test_explain_sample_reads_its_input_as_float64():
    thetas, *_ = tiny(hidden=(3,), n=2, p=3)
    e = explain_sample(thetas, [1, 0], target_index=None)
    assert e.a[0].dtype == np.float64 and e.a[0].tolist() == [1.0, 0.0]


def test_full_gradient_of_a_network_with_more_inputs_than_hidden_units():
    thetas, X, y, Y, _ = tiny(hidden=(2,), n=4, p=3, m=5)
    full = full_gradient(thetas, X, Y, 1.0)
    _, ref_grads = loop_cost_and_gradient(thetas, X, y, 1.0, "logistic")
    assert [g.shape for g in full.grads] == [(5, 2), (3, 3)]
    for g, r in zip(full.grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-10)


def test_contributions_keep_unit_order_among_many_equal_terms():
    a = np.tile([1.0, 0.0, 2.0], 20)  # 60 units; theta 1 everywhere: terms 1, 0, 2, ...
    _, terms = contributions(a, np.ones((61, 1)), 0)
    units = [j for j, _ in terms]
    assert units == list(range(2, 60, 3)) + list(range(0, 60, 3)) + list(range(1, 60, 3))


def test_missing_1_over_m_with_tanh_units():
    thetas, X, y, Y, table = tiny(m=4)
    _, grads = variant("missing_1_over_m", thetas, X, Y, table, 0.0, "tanh")
    _, ref_grads = loop_cost_and_gradient(thetas, X, y, 0.0, "tanh")
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, 4 * r, rtol=1e-10, atol=1e-14)


def test_check_at_works_in_float64_on_float32_weights_and_on_no_coordinates():
    thetas, X, y, Y, _ = tiny(hidden=(2,), m=3)
    single = [t.astype(np.float32) for t in thetas]
    result = check_at(single, X, Y, 1.0, list(range(12)))
    assert result.relative_difference < 1e-9
    empty = check_at(thetas, X, Y, 1.0, [])
    assert empty.coordinates == [] and empty.analytic.shape == (0,)
    assert empty.relative_difference == 0.0


def test_sample_coordinates_never_repeats_one_and_finds_the_last_matrix():
    sizes = (6, 4, 7)  # 63 parameters
    coords = sample_coordinates(sizes, 62, np.random.default_rng(5))
    assert len(coords) == 62 == len(set(coords)) and all(0 <= c < 63 for c in coords)
    deep = (2, 3, 2, 4)  # 9 + 8 + 12 = 29 parameters: bias rows [0, 3), [9, 11), [17, 21)
    coords = sample_coordinates(deep, 28, np.random.default_rng(5))
    assert len(coords) == 28 == len(set(coords)) and max(coords) <= 28


def test_check_gradients_defaults_are_the_courses_3_5_3_network_on_5_samples():
    rng = np.random.default_rng(0)
    sizes = (3, 5, 3)
    thetas = [rng.uniform(-1, 1, size=(a + 1, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    X = rng.uniform(-1, 1, size=(5, 3))
    y = np.arange(5) % 3
    broken = check_gradients(variant="missing_1_over_m")
    assert broken == check_gradients(thetas=thetas, X=X, y=y, variant="missing_1_over_m")
    assert broken == pytest.approx(4 / 6, abs=1e-6)  # (m - 1) / (m + 1), m = 5


def test_check_gradients_samples_distinct_coordinates_and_keeps_lambda():
    thetas, X, y, Y, _ = tiny(hidden=(3, 2), n=2, p=4, m=5)
    n = sum(t.size for t in thetas)
    coords = np.random.default_rng(2).choice(n, size=n - 1, replace=False).tolist()
    want = check_at(thetas, X, Y, 2.0, coords, "bias_regularized").relative_difference
    got = check_gradients(thetas=thetas, X=X, y=y, regularization_parameter=2.0,
                          n_coordinates=n - 1, random_state=2, variant="bias_regularized")
    assert got == want > 1e-3
    assert check_gradients(thetas=thetas, X=X, y=y, n_coordinates=0) == 0.0
