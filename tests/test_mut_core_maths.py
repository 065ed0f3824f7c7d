"""The vectorised maths piece by piece, on tiny arrays against textbook formulas and
central differences (survivors of `make mutate` in server/core/maths.py)."""

from __future__ import annotations

import numpy as np
import pytest
from test_activations import loop_cost_and_gradient

from server.core import maths
from server.core.activations import ACTIVATIONS
from server.core.maths import (
    backprop_trace,
    column_sums,
    cost_only,
    data_cost,
    data_cost_terms,
    forward,
    hidden_product,
    layer_table,
    loss_and_grad,
    one_hot,
    output_layout,
    pack,
    regularization_cost,
    softplus_sum,
    sumsq,
    unit_major_product,
    unpack,
)


def sig(z):
    return 1 / (1 + np.exp(-z))


def net(sizes=(3, 4, 2), m=6, seed=0):
    rng = np.random.default_rng(seed)
    thetas = [rng.uniform(-1, 1, size=(a + 1, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    X = rng.uniform(-1, 1, size=(m, sizes[0]))
    y = np.arange(m) % sizes[-1]
    return thetas, X, y, np.eye(sizes[-1])[y], layer_table(sizes)


def is_unit_major(a):
    return a.flags.f_contiguous and not a.flags.c_contiguous


# -- packing -----------------------------------------------------------------


def test_layer_table_unpack_and_pack():
    table = layer_table((2, 3, 1))
    assert table == [(0, 9, (3, 3)), (9, 13, (4, 1))]
    flat = np.arange(13.0)
    thetas = unpack(flat, table)
    assert [t.shape for t in thetas] == [(3, 3), (4, 1)]
    assert thetas[1][:, 0].tolist() == [9.0, 10.0, 11.0, 12.0]
    flat[10] = -1.0
    assert thetas[1][1, 0] == -1.0  # views, no copy
    packed = pack(thetas)
    assert packed.dtype == np.float64 and packed.tolist() == flat.tolist()
    assert pack([np.ones((2, 1), int)], np.float32).dtype == np.float32


def test_sumsq_and_softplus_sum_by_value():
    a = np.array([[1.0, -2.0], [3.0, 0.5]])
    assert sumsq(a) == 14.25 and type(sumsq(a)) is float
    z = np.array([-800.0, -1.0, 0.0, 2.5, 800.0])
    want = np.log1p(np.exp(-800.0)) + np.log1p(np.exp(-1.0)) + np.log(2.0) + (
        2.5 + np.log1p(np.exp(-2.5))) + 800.0
    assert softplus_sum(z) == pytest.approx(want, rel=1e-15)
    assert type(softplus_sum(z)) is float


# -- layouts -----------------------------------------------------------------


def test_products_lay_the_hidden_units_out_unit_major_in_float64_only():
    rng = np.random.default_rng(1)
    a, w = rng.standard_normal((5, 3)), rng.standard_normal((3, 4))
    out = unit_major_product(a, w)
    assert out.shape == (5, 4) and is_unit_major(out) and out.dtype == np.float64
    np.testing.assert_allclose(out, a @ w, rtol=1e-14)
    assert is_unit_major(hidden_product(a, w))
    single = hidden_product(a.astype(np.float32), w.astype(np.float32))
    assert single.flags.c_contiguous and single.dtype == np.float32
    np.testing.assert_allclose(single, a @ w, rtol=1e-5)
    mixed = unit_major_product(a.astype(np.float32), w)
    assert mixed.dtype == np.float64
    assert is_unit_major(maths._output_product(a.astype(np.float32), w.astype(np.float32),
                                               True))
    assert maths._output_product(a.astype(np.float32), w.astype(np.float32),
                                 False).flags.c_contiguous


def test_targets_follow_the_output_layout():
    Y = np.eye(3)[[0, 1, 2, 1]]
    laid = output_layout(Y, np.float32)
    assert is_unit_major(laid) and laid.dtype == np.float32 and laid.tolist() == Y.tolist()
    assert output_layout(Y).dtype == np.float64
    z_c, z_f = np.zeros((4, 3)), np.asfortranarray(np.zeros((4, 3)))
    assert maths._same_layout(laid, z_c).flags.c_contiguous
    assert is_unit_major(maths._same_layout(Y, z_f))
    assert maths._same_layout(Y, z_c) is Y  # no copy when the layouts agree


def test_column_sums_in_both_layouts():
    a = np.arange(12.0).reshape(4, 3)
    out = np.empty(3)
    assert column_sums(a, out) is out and out.tolist() == [18.0, 22.0, 26.0]
    f = np.asfortranarray(a)
    assert column_sums(f, np.empty(3)).tolist() == [18.0, 22.0, 26.0]
    row = np.arange(3.0).reshape(1, 3)  # both C and F contiguous
    assert column_sums(row, np.empty(3)).tolist() == [0.0, 1.0, 2.0]


# -- forward -----------------------------------------------------------------


@pytest.mark.parametrize("activation", ["logistic", "tanh"])
def test_hidden_layer_returns_g_of_z_and_keeps_a_copy_of_z(activation):
    thetas, X, *_ = net()
    zs = []
    a = maths._hidden_layer(X, thetas[0], ACTIVATIONS[activation], zs)
    z = X @ thetas[0][1:] + thetas[0][0]
    np.testing.assert_allclose(zs[0], z, rtol=1e-13)
    g = sig if activation == "logistic" else np.tanh
    np.testing.assert_allclose(a, g(z), rtol=1e-13)
    assert zs[0] is not a
    assert maths._hidden_layer(X, thetas[0], ACTIVATIONS[activation]) is not None


def test_forward_gives_every_layer_and_the_output_pre_activation():
    thetas, X, *_ = net((3, 4, 5, 2))
    zs = []
    acts, z_out = forward(thetas, X, "tanh", zs)
    h1 = np.tanh(X @ thetas[0][1:] + thetas[0][0])
    h2 = np.tanh(h1 @ thetas[1][1:] + thetas[1][0])
    z3 = h2 @ thetas[2][1:] + thetas[2][0]
    assert acts[0] is X and len(acts) == 4 and len(zs) == 3
    np.testing.assert_allclose(acts[1], h1, rtol=1e-13)
    np.testing.assert_allclose(acts[2], h2, rtol=1e-13)
    np.testing.assert_allclose(z_out, z3, rtol=1e-13)
    np.testing.assert_allclose(zs[2], z3, rtol=1e-13)
    np.testing.assert_allclose(acts[3], sig(z3), rtol=1e-13)
    assert zs[2] is not z_out
    default, _ = forward(thetas, X)
    np.testing.assert_allclose(default[1], sig(X @ thetas[0][1:] + thetas[0][0]), rtol=1e-13)


# -- costs -------------------------------------------------------------------


def test_data_cost_and_its_terms_are_the_cross_entropy():
    z = np.array([[-2.0, 0.5], [3.0, -40.0]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0]])
    s = sig(z)
    terms = -(Y * np.log(s) + (1 - Y) * np.log1p(-s))
    np.testing.assert_allclose(data_cost_terms(z, Y), terms, rtol=1e-12)
    assert data_cost(z, Y) == pytest.approx(terms.sum(), rel=1e-12)
    assert data_cost_terms(np.array([[800.0]]), np.array([[0.0]]))[0, 0] == 800.0


def test_regularization_cost_leaves_the_bias_rows_out():
    thetas = [np.array([[10.0, 10.0], [1.0, 2.0]]), np.array([[10.0], [3.0], [-1.0]])]
    assert regularization_cost(thetas, 2.0, 4) == pytest.approx(2.0 / 8 * 15)
    assert regularization_cost(thetas, 0.0, 4) == 0.0


def test_cost_of_negated_is_the_data_cost_and_reuses_zn():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((5, 3)) * 4
    Y = np.eye(3)[[0, 1, 2, 0, 1]]
    zn = -z
    out = sig(z)
    assert maths.cost_of_negated(zn, out, Y) == pytest.approx(data_cost(z, Y), rel=1e-12)
    np.testing.assert_array_equal(out, sig(z))  # the outputs are kept


# -- gradients ---------------------------------------------------------------


def test_weight_gradients_write_or_add():
    a_prev = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    delta = np.array([[1.0], [0.0], [-1.0]])  # a_prev.T @ delta = [-4, -4]
    g = np.full((2, 1), 7.0)
    maths._weight_gradient(a_prev, delta, g, False)
    assert g[:, 0].tolist() == [-4.0, -4.0]
    maths._weight_gradient(a_prev, delta, g, True)
    assert g[:, 0].tolist() == [-8.0, -8.0]


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
def test_backprop_trace_lays_open_the_reference_backprop(activation):
    thetas, X, y, Y, _ = net((3, 4, 5, 2), m=3)
    trace = backprop_trace(thetas, X, Y, activation)
    ref_cost, ref_grads = loop_cost_and_gradient(thetas, X, y, 0.0, activation)
    assert trace.cost == pytest.approx(3 * ref_cost, rel=1e-12)  # summed, not averaged
    for g, r in zip(trace.grads, ref_grads):
        np.testing.assert_allclose(g, 3 * r, rtol=1e-10, atol=1e-14)
    acts, z_out = forward(thetas, X, activation)
    assert len(trace.a) == 4 and len(trace.z) == len(trace.delta) == 3
    for got, want in zip(trace.a, acts):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    np.testing.assert_allclose(trace.z[-1], z_out, rtol=1e-13)
    np.testing.assert_allclose(trace.delta[-1], acts[-1] - Y, rtol=1e-13)
    assert trace.grads[0].shape == (4, 4)


def test_loss_and_grad_is_the_reference_and_the_central_difference():
    thetas, X, y, Y, table = net((3, 4, 2), m=6)
    flat = pack(thetas)
    buf = np.empty_like(flat)
    cost, grad, out = loss_and_grad(flat, table, X, Y, 1.5, grad_out=buf, activation="tanh")
    assert grad is buf
    ref_cost, ref_grads = loop_cost_and_gradient(thetas, X, y, 1.5, "tanh")
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    np.testing.assert_allclose(grad, pack(ref_grads), rtol=1e-10, atol=1e-14)
    h = np.tanh(X @ thetas[0][1:] + thetas[0][0])
    np.testing.assert_allclose(out, sig(h @ thetas[1][1:] + thetas[1][0]), rtol=1e-13)
    e = 1e-6
    for i in (0, 7, 16, 20, 25):
        up, down = flat.copy(), flat.copy()
        up[i] += e
        down[i] -= e
        numeric = (loss_and_grad(up, table, X, Y, 1.5, activation="tanh")[0]
                   - loss_and_grad(down, table, X, Y, 1.5, activation="tanh")[0]) / (2 * e)
        assert grad[i] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_a_mini_batch_keeps_the_penalty_of_the_whole_set():
    thetas, X, y, Y, table = net((3, 2), m=4)
    flat = pack(thetas)
    cost, grad, _ = loss_and_grad(flat, table, X, Y, 2.0, n_total=10)
    data_cost_, data_grads = loop_cost_and_gradient(thetas, X, y, 0.0, "logistic")
    w = thetas[0][1:]
    assert cost == pytest.approx(data_cost_ + 2.0 / 20 * np.sum(w ** 2), rel=1e-12)
    want = data_grads[0].copy()
    want[1:] += 2.0 / 10 * w
    np.testing.assert_allclose(grad, want.ravel(), rtol=1e-10, atol=1e-14)


def test_more_rows_than_one_block_give_the_same_cost_gradient_and_output():
    rng = np.random.default_rng(3)
    m = maths.BLOCK_ROWS + 37
    thetas = [rng.uniform(-1, 1, size=(3, 2)), rng.uniform(-1, 1, size=(3, 2))]
    X = rng.uniform(-1, 1, size=(m, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)
    Y = np.eye(2)[y]
    table = layer_table((2, 2, 2))
    cost, grad, out = loss_and_grad(pack(thetas), table, X, Y, 0.5)
    h = sig(X @ thetas[0][1:] + thetas[0][0])
    want_out = sig(h @ thetas[1][1:] + thetas[1][0])
    np.testing.assert_allclose(out, want_out, rtol=1e-12)
    delta2 = (want_out - Y) / m
    delta1 = delta2 @ thetas[1][1:].T * h * (1 - h)
    g2 = np.vstack([delta2.sum(0), h.T @ delta2])
    g1 = np.vstack([delta1.sum(0), X.T @ delta1])
    g1[1:] += 0.5 / m * thetas[0][1:]
    g2[1:] += 0.5 / m * thetas[1][1:]
    np.testing.assert_allclose(grad, pack([g1, g2]), rtol=1e-9, atol=1e-15)
    want_cost = -np.mean(np.sum(Y * np.log(want_out) + (1 - Y) * np.log(1 - want_out), 1))
    want_cost += 0.25 / m * (np.sum(thetas[0][1:] ** 2) + np.sum(thetas[1][1:] ** 2))
    assert cost == pytest.approx(want_cost, rel=1e-10)


def test_cost_only_is_loss_and_grads_cost_and_output():
    thetas, X, y, Y, table = net((3, 4, 2), m=6)
    flat = pack(thetas)
    cost, out = cost_only(flat, table, X, Y, 1.5, "relu")
    want_cost, _, want_out = loss_and_grad(flat, table, X, Y, 1.5, activation="relu")
    assert cost == pytest.approx(want_cost, rel=1e-12)
    np.testing.assert_allclose(out, want_out, rtol=1e-13)
    logistic, _ = cost_only(flat, table, X, Y, 0.0)
    assert logistic == pytest.approx(loop_cost_and_gradient(thetas, X, y, 0.0, "logistic")[0])


def test_one_hot_rows():
    Y = one_hot(np.array([2, 0, 1]), 4, np.float32)
    assert Y.dtype == np.float32 and Y.tolist() == [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]]
    assert one_hot(np.array([1]), 2).dtype == np.float64


def test_products_and_outputs_keep_the_computation_dtype():
    rng = np.random.default_rng(4)
    a, w = rng.standard_normal((5, 3)), rng.standard_normal((3, 4))
    single = maths._output_product(a.astype(np.float32), w.astype(np.float32), True)
    assert single.dtype == np.float32
    assert unit_major_product(a, w.astype(np.float32)).dtype == np.float64
    table = layer_table((2, 2, 2))
    flat = pack([np.full((3, 2), 0.1), np.full((3, 2), -0.2)], np.float32)
    for m in (3, maths.BLOCK_ROWS + 1):
        X = np.ones((m, 2), np.float32)
        _, grad, out = loss_and_grad(flat, table, X, np.eye(2, dtype=np.float32)[np.arange(m) % 2],
                                     0.0)
        assert out.dtype == np.float32 and grad.dtype == np.float32 and out.shape == (m, 2)
