"""The engine's explanation of one input: z, a, delta, cost terms and gradients,
checked against an independent per-sample computation and central differences."""

import numpy as np
import pytest

from server.core.explain import contributions, explain_sample, full_gradient
from server.core.maths import data_cost, data_cost_terms, layer_table, loss_and_grad, pack
from server.datasets import load_dataset
from server.network import NeuralNetwork


@pytest.fixture(scope="module")
def digits():
    ds = load_dataset("digits20")
    model = NeuralNetwork((25,), 1.0, max_iter=5, random_state=0).fit(ds.X_train, ds.y_train)
    return ds, model


def reference(thetas, x, k):
    """Textbook backprop of one sample: explicit bias entries, sigmoid'(z) from z."""
    g = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    a, zs = [np.concatenate([[1.0], x])], []
    for t in thetas:
        zs.append(a[-1] @ t)
        a.append(np.concatenate([[1.0], g(zs[-1])]))
    y = np.eye(thetas[-1].shape[1])[k]
    out = a[-1][1:]
    cost = -np.sum(y * np.log(out) + (1 - y) * np.log(1 - out))
    deltas = [out - y]
    for t, z in zip(thetas[:0:-1], zs[-2::-1]):
        deltas.insert(0, (t[1:] @ deltas[0]) * g(z) * (1 - g(z)))
    grads = [np.outer(a_prev, d) for a_prev, d in zip(a, deltas)]
    return zs, deltas, grads, cost


def sample_cost(thetas, x, k):
    Y = np.eye(thetas[-1].shape[1])[[k]]
    return loss_and_grad(pack(thetas), layer_table(
        [thetas[0].shape[0] - 1] + [t.shape[1] for t in thetas]), x[None], Y, 0.0)[0]


def test_delta_and_gradients_of_a_test_sample_equal_a_textbook_computation(digits):
    ds, model = digits
    x, k = ds.X_test[0], int(ds.y_test[0])
    e = explain_sample(model.thetas, x, k)
    zs, deltas, grads, cost = reference(model.thetas, x, k)
    for ours, theirs in zip(e.z, zs):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    for ours, theirs in zip(e.delta, deltas):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    for ours, theirs in zip(e.grads, grads):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    assert e.cost == pytest.approx(cost, abs=1e-9)
    assert e.unit_costs.sum() == pytest.approx(e.cost, abs=1e-12)
    np.testing.assert_array_equal(e.target, np.eye(10)[k])
    np.testing.assert_array_equal(e.a[0], x)
    # output delta is a - y, the post's first step backwards
    np.testing.assert_allclose(e.delta[-1], e.a[-1] - e.target, atol=1e-15)


def test_the_sample_gradient_is_the_central_difference_of_the_sample_cost(digits):
    ds, model = digits
    x, k = ds.X_test[0], int(ds.y_test[0])
    e = explain_sample(model.thetas, x, k)
    rng = np.random.default_rng(1)
    thetas = [t.copy() for t in model.thetas]
    for layer in (0, 1):
        rows, cols = thetas[layer].shape
        for r, c in [(0, int(rng.integers(cols)))] + [
                (int(rng.integers(1, rows)), int(rng.integers(cols))) for _ in range(6)]:
            old, eps = thetas[layer][r, c], 1e-5
            thetas[layer][r, c] = old + eps
            plus = sample_cost(thetas, x, k)
            thetas[layer][r, c] = old - eps
            minus = sample_cost(thetas, x, k)
            thetas[layer][r, c] = old
            assert (plus - minus) / (2 * eps) == pytest.approx(e.grads[layer][r, c], abs=1e-9)


def test_without_a_label_the_target_is_the_prediction(digits):
    ds, model = digits
    e = explain_sample(model.thetas, ds.X_test[3])
    assert e.target_index == e.predicted == int(np.argmax(model.predict_proba(ds.X_test[3:4])))


def test_the_full_gradient_is_loss_and_grads_and_leaves_the_bias_rows_unregularised(digits):
    ds, model = digits
    X = ds.X_train
    Y = np.eye(10)[ds.y_train]
    full = full_gradient(model.thetas, X, Y, 1.0)
    table = layer_table(model.layer_sizes)
    J, grad, _ = loss_and_grad(pack(model.thetas), table, X, Y, 1.0)
    assert full.J == J and full.m == X.shape[0] and full.lam == 1.0
    np.testing.assert_array_equal(np.concatenate([g.ravel() for g in full.grads]), grad)
    assert full.J_data == pytest.approx(data_cost(
        np.log(model.predict_proba(X) / (1 - model.predict_proba(X))), Y) / X.shape[0],
        rel=1e-9)
    assert full.J_reg == pytest.approx(
        0.5 / X.shape[0] * sum(np.sum(t[1:] ** 2) for t in model.thetas), rel=1e-12)
    # the mean of the per-sample gradients plus (lambda/m) theta, bias rows excepted
    data = full_gradient(model.thetas, X, Y, 0.0)
    for g, d, t in zip(full.grads, data.grads, model.thetas):
        np.testing.assert_array_equal(g[0], d[0])
        np.testing.assert_allclose(g[1:] - d[1:], t[1:] / X.shape[0], atol=1e-15)
    rows = [explain_sample(model.thetas, X[i], int(ds.y_train[i])).grads for i in range(50)]
    first = full_gradient(model.thetas, X[:50], Y[:50], 0.0)
    for layer in range(2):
        np.testing.assert_allclose(sum(r[layer] for r in rows) / 50, first.grads[layer],
                                   atol=1e-12)


def test_data_cost_terms_sum_to_data_cost_even_when_saturated():
    z = np.array([[-40.0, -3.0, 0.0, 2.0, 35.0]])
    Y = np.array([[0.0, 1.0, 0.0, 1.0, 1.0]])
    s = 1 / (1 + np.exp(-z))
    textbook = -(Y * np.log(s) + (1 - Y) * np.log1p(-s))[:, :4]
    np.testing.assert_allclose(data_cost_terms(z, Y)[:, :4], textbook, rtol=1e-12)
    assert data_cost_terms(z, Y)[0, 4] == pytest.approx(np.exp(-35.0), rel=1e-12)
    assert data_cost(z, Y) == pytest.approx(data_cost_terms(z, Y).sum(), rel=1e-15)


def test_contributions_rank_the_last_hidden_units_and_sum_to_z(digits):
    ds, model = digits
    e = explain_sample(model.thetas, ds.X_test[0])
    bias, terms = contributions(e.a[-2], model.thetas[-1], e.predicted)
    values = [c for _, c in terms]
    assert values == sorted(values, reverse=True)
    assert sorted(j for j, _ in terms) == list(range(25))
    assert bias + sum(values) == pytest.approx(e.z[-1][e.predicted], abs=1e-12)
