"""The optimizers' steps, loops, stop reasons and what each iteration reports, on fits of
a few iterations of a tiny network (survivors of `make mutate` in server/core/optimizers.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from server.core.estimator import NeuralNetwork
from server.core.maths import layer_table, loss_and_grad, pack, unpack
from server.core.optimizers import (
    OPTIMIZER_REGISTRY,
    OPTIMIZERS,
    FitState,
    accuracies,
    adam_rule,
    full_batch_evaluations,
    gd_rule,
)


def data(m=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(m, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 0] > 0.5)
    return X, y


def model(**kw):
    kw.setdefault("hidden_layers", (3,))
    kw.setdefault("random_state", 0)
    kw.setdefault("n_threads", 1)
    return NeuralNetwork(**kw)


# -- the pieces --------------------------------------------------------------


def test_accuracies_overall_and_per_class_with_nan_for_an_empty_class():
    output = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1]])
    y_index = np.array([0, 1, 1, 0])
    acc, per_class = accuracies(output, y_index, np.array([2.0, 2.0, 0.0]))
    assert acc == 0.5 and type(acc) is float
    assert per_class[:2].tolist() == [0.5, 0.5] and np.isnan(per_class[2])


def test_adam_rule_is_kingmas_update_with_bias_correction():
    params = np.array([1.0, -2.0, 0.5])
    step = adam_rule(params)
    want = params.copy()
    m1, m2 = np.zeros(3), np.zeros(3)
    grads = [np.array([0.3, -0.01, 2e-4]), np.array([-0.1, 0.02, 1e-4]),
             np.array([0.05, 0.0, -3e-4])]
    for t, g in enumerate(grads, 1):
        step(g, 0.01)
        m1 = 0.9 * m1 + 0.1 * g
        m2 = 0.999 * m2 + 0.001 * g * g
        m_hat, v_hat = m1 / (1 - 0.9 ** t), m2 / (1 - 0.999 ** t)
        want -= 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8 / math.sqrt(1 - 0.999 ** t))
        np.testing.assert_allclose(params, want, rtol=1e-13, atol=0)


def test_gd_rule_steps_against_the_gradient():
    params = np.array([1.0, -2.0])
    step = gd_rule(params)
    step(np.array([0.5, -1.0]), 0.1)
    step(np.array([1.0, 1.0]), 0.5)
    np.testing.assert_allclose(params, [1.0 - 0.05 - 0.5, -2.0 + 0.1 - 0.5], rtol=1e-15)


def test_full_batch_evaluations_counts_epochs_and_the_last_partial_batch():
    assert full_batch_evaluations("L-BFGS-B", 9, 10, 4) == 9.0
    # m = 10, batch 4: batches of 4, 4, 2 per epoch; 7 evaluations = 2 epochs and 4 rows
    assert full_batch_evaluations("adam", 7, 10, 4) == pytest.approx(2.4)
    assert full_batch_evaluations("gd", 3, 10, 20) == 3.0


def test_the_registry_says_how_each_optimizer_runs():
    assert OPTIMIZERS == ("TNC", "L-BFGS-B", "CG", "adam", "gd")
    options = {name: o.scipy_options(7, 70) for name, o in OPTIMIZER_REGISTRY.items()
               if o.family == "scipy"}
    assert options == {"TNC": {"maxfun": 70}, "L-BFGS-B": {"maxiter": 7, "maxfun": 70},
                       "CG": {"maxiter": 7}}
    assert OPTIMIZER_REGISTRY["adam"].learning_rate == 1e-3
    assert OPTIMIZER_REGISTRY["gd"].learning_rate == 0.5
    for name in ("adam", "gd"):
        entry = OPTIMIZER_REGISTRY[name]
        assert entry.family == "minibatch" and entry.options == ("learning_rate", "batch_size")
    assert OPTIMIZER_REGISTRY["TNC"].options == () and OPTIMIZER_REGISTRY["TNC"].label == (
        "TNC (Newton)")


def test_a_lookup_off_the_recent_evaluations_computes_afresh():
    X, y = data()
    net = model(max_iter=1).fit(X, y)
    table = layer_table(net.layer_sizes)
    Y = np.eye(3)[y]
    state = FitState(net, X, Y, None, None, table, None, None, np.dtype(np.float64))
    x = pack(net.thetas) + 0.25
    cost, grad, (acc, per_class) = state._lookup(x)
    want_cost, want_grad, out = loss_and_grad(x, table, X, Y, 1.0)
    assert cost == want_cost and np.array_equal(grad, want_grad)
    assert acc == np.mean(np.argmax(out, 1) == y)
    assert state.iteration == 1 and state.n_fev == 0


# -- the loops: what each iteration reports ---------------------------------------


@pytest.mark.parametrize("optimizer", ["L-BFGS-B", "adam"])
def test_each_iteration_reports_its_own_cost_gradient_and_accuracies(optimizer):
    X, y = data(m=12)
    X_val, y_val = data(m=6, seed=1)
    infos = []
    net = model(max_iter=3, optimizer=optimizer, regularization_parameter=0.5, batch_size=5,
                learning_rate=0.1 if optimizer == "adam" else None)
    net.fit(X, y, callback=infos.append, X_val=X_val, y_val=y_val)
    assert [i.iteration for i in infos] == [1, 2, 3]
    assert infos[-1].n_fev == net.n_fev_ and infos[0].n_fev >= 1
    table = layer_table(net.layer_sizes)
    for info in infos:
        flat = pack(info.thetas)
        cost, grad, out = loss_and_grad(flat, table, X, np.eye(3)[y], 0.5)
        assert info.cost == pytest.approx(cost, rel=1e-12)
        right = np.argmax(out, 1) == y
        assert info.train_accuracy == right.mean()
        np.testing.assert_array_equal(info.class_accuracy,
                                      [right[y == k].mean() for k in range(3)])
        val_cost, _, val_out = loss_and_grad(flat, table, X_val, np.eye(3)[y_val], 0.0)
        assert info.val_cost == pytest.approx(val_cost, rel=1e-12)
        val_right = np.argmax(val_out, 1) == y_val
        assert info.val_accuracy == val_right.mean()
        np.testing.assert_array_equal(info.val_class_accuracy, [
            val_right[y_val == k].mean() if (y_val == k).any() else np.nan for k in range(3)])
        assert math.isclose(info.grad_norm, math.hypot(*info.grad_norms), rel_tol=1e-12)
        assert len(info.grad_norms) == 2
        if optimizer == "L-BFGS-B":  # the full-batch gradient at these weights
            for norm, g in zip(info.grad_norms, unpack(grad, table)):
                assert norm == pytest.approx(np.sqrt(np.sum(g ** 2)), rel=1e-12)
        assert not info.thetas[0].flags.writeable
    assert net.cost_history_ == [i.cost for i in infos]
    assert net.val_cost_history_ == [i.val_cost for i in infos]
    assert net.train_accuracy_history_ == [i.train_accuracy for i in infos]
    assert net.val_accuracy_history_ == [i.val_accuracy for i in infos]
    assert net.n_iter_ == 3 and net.stop_reason_ == "max_iter"


def test_the_mean_mini_batch_gradient_of_an_epoch():
    X, y = data(m=10)
    infos = []
    model(max_iter=1, optimizer="gd", batch_size=5, learning_rate=1e-300).fit(
        X, y, callback=infos.append)  # a step too small to move the weights
    # Two batches of 5: their mean gradient is the full-batch one, whatever the order.
    table = layer_table((2, 3, 3))
    grad = loss_and_grad(pack(infos[0].thetas), table, X, np.eye(3)[y], 1.0)[1]
    want = [np.sqrt(np.sum(g ** 2)) for g in unpack(grad, table)]
    np.testing.assert_allclose(infos[0].grad_norms, want, rtol=1e-12)
    assert infos[0].n_fev == 2


@pytest.mark.parametrize("optimizer, reason, message, status", [
    ("TNC", "max_iter", "reached max_iter=2 iterations", -1),
    ("CG", "max_iter", "reached max_iter=2 iterations", -1),
    ("adam", "max_iter", "reached max_iter=2 epochs", 0),
])
def test_max_iter_ends_the_fit_with_its_reason(optimizer, reason, message, status):
    X, y = data()
    net = model(max_iter=2, optimizer=optimizer).fit(X, y)
    assert (net.stop_reason_, net.message_, net.status_) == (reason, message, status)
    assert net.n_iter_ == 2 and len(net.cost_history_) == 2


@pytest.mark.parametrize("optimizer", ["TNC", "gd"])
def test_stops_by_callback_and_by_request_are_named(optimizer):
    X, y = data()
    net = model(max_iter=5, optimizer=optimizer).fit(X, y, callback=lambda info: True)
    assert (net.stop_reason_, net.message_, net.status_) == (
        "callback", "stopped by the callback", -1)
    assert net.n_iter_ == 1
    net = model(max_iter=5, optimizer=optimizer)
    net.fit(X, y, on_evaluation=lambda n, cost: n >= 2)
    assert (net.stop_reason_, net.message_, net.status_) == ("stopped", "stopped on request", -1)
    assert net.n_fev_ == 2


def test_a_stop_requested_inside_the_objective_is_stopped():
    X, y = data()
    net = model(max_iter=5)
    net.fit(X, y, on_evaluation=lambda n, cost: net.stop() and False)
    assert net.stop_reason_ == "stopped" and net.n_fev_ == 1 and net.n_iter_ == 0


def test_max_fun_and_convergence_of_the_scipy_optimizers():
    X, y = data()
    net = model(max_iter=50, optimizer="L-BFGS-B", max_fun=3).fit(X, y)
    assert net.stop_reason_ == "max_fun" and net.n_fev_ <= 4
    net = model(max_iter=100, optimizer="L-BFGS-B", tol=1e-2,
                regularization_parameter=10.0).fit(X, y)
    assert net.stop_reason_ == "converged" and net.status_ == 0 and net.n_iter_ < 100
    flat = pack(net.thetas)
    cost = loss_and_grad(flat, layer_table(net.layer_sizes), X, np.eye(3)[y], 10.0)[0]
    assert cost <= net.cost_history_[-1] + 1e-12  # the final point, not worse
    assert model(max_iter=1).max_fun is None


def test_a_diverging_mini_batch_fit_says_to_lower_the_learning_rate():
    X, y = data()
    X = X * 1e200
    with np.errstate(over="ignore", invalid="ignore"):
        net = model(max_iter=3, optimizer="gd", learning_rate=1e200).fit(X, y)
    assert net.stop_reason_ == "diverged" and net.status_ == -1
    assert net.message_ == "the cost became infinite or NaN: lower learning_rate (1e+200)"


def test_the_default_learning_rate_of_gd_is_its_entry():
    X, y = data()
    a = model(max_iter=1, optimizer="gd").fit(X, y)
    b = model(max_iter=1, optimizer="gd", learning_rate=0.5).fit(X, y)
    c = model(max_iter=1, optimizer="gd", learning_rate=0.25).fit(X, y)
    assert np.array_equal(pack(a.thetas), pack(b.thetas))
    assert not np.array_equal(pack(a.thetas), pack(c.thetas))
    e = model(max_iter=1, optimizer="adam", batch_size=100).fit(X, y)  # batch capped at m
    assert e.n_fev_ == 1


def test_tol_reaches_scipy():
    X, y = data()
    loose = model(max_iter=200, optimizer="L-BFGS-B", tol=1e-1, regularization_parameter=10.0)
    tight = model(max_iter=200, optimizer="L-BFGS-B", regularization_parameter=10.0)
    assert loose.fit(X, y).n_iter_ < tight.fit(X, y).n_iter_
