"""``NeuralNetwork``'s checks, targets, warm starts and predictions, with exact messages
and fits of one or two iterations (survivors of `make mutate` in server/core/estimator.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from server.core.estimator import NeuralNetwork
from server.core.maths import layer_table, loss_and_grad, pack

X4 = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0]])


def refused(message):
    return pytest.raises(ValueError, match=f"^{re.escape(message)}$")


def fitted(**kw):
    kw = {"hidden_layers": (3,), "max_iter": 1, "random_state": 0, "n_threads": 1, **kw}
    return NeuralNetwork(**kw).fit(X4, np.array([0, 1, 2, 1]))


@pytest.mark.parametrize("params, message", [
    ({"hidden_layers": None}, "hidden_layers must be a tuple of positive integers, got None"),
    ({"hidden_layers": (2, True)}, "hidden_layers[1] must be an integer, got True"),
    ({"max_iter": 0}, "max_iter must be >= 1, got 0"),
    ({"optimizer": "sgd"},
     "optimizer must be one of ('TNC', 'L-BFGS-B', 'CG', 'adam', 'gd'), got 'sgd'"),
    ({"activation": "sine"},
     "activation must be one of ('logistic', 'tanh', 'relu'), got 'sine'"),
    ({"init": "zeros"}, "init must be one of ('scaled_uniform', 'randn'), got 'zeros'"),
    ({"dtype": "float16"}, "dtype must be one of ('float64', 'float32'), got 'float16'"),
    ({"dtype": "nope"}, "dtype must be one of ('float64', 'float32'), got 'nope'"),
    ({"learning_rate": 0.0}, "learning_rate must be a finite number > 0.0, got 0.0"),
    ({"batch_size": 0}, "batch_size must be >= 1, got 0"),
    ({"max_fun": 0}, "max_fun must be >= 1, got 0"),
    ({"max_params": 0}, "max_params must be >= 1, got 0"),
    ({"n_threads": 0}, "n_threads must be >= 1, got 0"),
    ({"random_state": 2**32}, "random_state must be in [0, 4294967295], got 4294967296"),
    ({"random_state": -1}, "random_state must be in [0, 4294967295], got -1"),
    ({"regularization_parameter": -0.5},
     "regularization_parameter must be a finite number >= 0.0, got -0.5"),
    ({"hidden_layers": (4,), "max_params": 26},
     "hidden_layers (4,) give 27 parameters for 2 inputs and 3 outputs; max_params allows "
     "at most 26"),
])
def test_each_bad_parameter_is_refused_with_its_name_and_range(params, message):
    with refused(message):
        NeuralNetwork(**{"max_iter": 1, **params}).fit(X4, [0, 1, 2, 1])


def test_the_limits_themselves_are_accepted():
    net = fitted(hidden_layers=4, max_params=27, random_state=2**32 - 1, batch_size=1,
                 max_fun=1, n_threads=1, learning_rate=1e-9, dtype=np.float32)
    assert net.layer_sizes == (2, 4, 3) and net.thetas[0].dtype == np.float64
    assert fitted(random_state=0, hidden_layers=np.int64(2)).layer_sizes == (2, 2, 3)


def test_get_params_and_repr():
    net = NeuralNetwork((4, 2), 0.5, activation="tanh")
    params = net.get_params()
    assert list(params) == [
        "hidden_layers", "regularization_parameter", "max_iter", "optimizer", "activation",
        "init", "random_state", "dtype", "learning_rate", "batch_size", "max_fun",
        "max_params", "n_threads", "tol", "warm_start", "class_names", "image_shape"]
    assert params["hidden_layers"] == (4, 2) and params["batch_size"] == 128
    assert params["max_params"] == 10_000_000 and params["max_iter"] == 50
    assert params["optimizer"] == "TNC" and params["init"] == "scaled_uniform"
    assert params["dtype"] == "float64" and params["warm_start"] is False
    assert repr(net) == ("NeuralNetwork(hidden_layers=(4, 2), regularization_parameter=0.5, "
                         "max_iter=50, optimizer='TNC', activation='tanh')")


@pytest.mark.parametrize("y, message", [
    (np.eye(3)[[0, 1, 2]], "y has 3 rows but X has 4 samples"),
    (np.array([[0, 2], [1, 0], [0, 1], [1, 0]]),
     "y given as a matrix must be one-hot: values 0 or 1"),
    (np.array([[np.nan, 1], [1, 0], [0, 1], [1, 0]]),
     "y given as a matrix must be one-hot: values 0 or 1"),
    (np.ones((4, 1, 1)), "y must be 1-D labels or an (m, p) one-hot matrix, got (4, 1, 1)"),
    (np.array([0, 1, 1]), "y has 3 labels but X has 4 samples"),
    (np.array([0.0, 1.0, np.inf, 1.0]), "y must hold integer class labels, got dtype float64"),
    (np.array(["a", "b", "a", "b"]), "y must hold integer class labels, got dtype <U1"),
    (np.array([3, 3, 3, 3]), "y must hold at least 2 classes, got [3]"),
])
def test_bad_targets_are_refused_by_what_is_wrong(y, message):
    with refused(message):
        NeuralNetwork((2,), max_iter=1).fit(X4, y)


def test_a_target_matrix_without_columns_has_no_classes():
    with refused("y must have at least 2 classes (columns)"):
        NeuralNetwork((2,), max_iter=1).fit(X4, np.zeros((4, 0)))


def test_targets_as_one_hot_float_labels_or_a_column_give_the_same_fit():
    by_index = fitted()
    labels = np.array([0, 1, 2, 1])
    for y in (np.eye(3)[labels], labels.astype(float), labels.reshape(4, 1)):
        other = NeuralNetwork((3,), max_iter=1, random_state=0, n_threads=1).fit(X4, y)
        assert np.array_equal(pack(other.thetas), pack(by_index.thetas))
        assert other.classes_.tolist() == [0, 1, 2]


def test_validation_data_are_checked_against_the_training_data():
    net = NeuralNetwork((2,), max_iter=1)
    with refused("X_val and y_val must be given together"):
        net.fit(X4, [0, 1, 0, 1], X_val=X4)
    with refused("X_val and y_val must be given together"):
        net.fit(X4, [0, 1, 0, 1], y_val=[0, 1])
    with refused("X_val must have 2 features (columns), got 3"):
        net.fit(X4, [0, 1, 0, 1], X_val=np.zeros((2, 3)), y_val=[0, 1])
    with refused("y_val must be 1-D with 2 labels"):
        net.fit(X4, [0, 1, 0, 1], X_val=np.zeros((2, 2)), y_val=[0, 1, 1])
    with refused("y_val must be 1-D with 2 labels"):
        net.fit(X4, [0, 1, 0, 1], X_val=np.zeros((2, 2)), y_val=[[0, 1]])
    with refused("y_val holds labels the model does not know: [5]; known labels are [0, 1]"):
        net.fit(X4, [0, 1, 0, 1], X_val=np.zeros((2, 2)), y_val=[0, 5])


def test_a_warm_start_continues_from_the_weights_and_the_counters():
    net = fitted(warm_start=True)
    first = pack(net.thetas)
    assert net.n_iter_ == 1 and len(net.cost_history_) == 1
    net.fit(X4, [0, 1, 2, 1])
    assert net.n_iter_ == 2 and len(net.cost_history_) == 2
    table = layer_table((2, 3, 3))
    assert net.cost_history_[1] < loss_and_grad(first, table, X4, np.eye(3)[[0, 1, 2, 1]],
                                                 1.0)[0]
    with refused("y holds labels the model does not know: [7]; known labels are [0, 1, 2]"):
        net.fit(X4, [0, 1, 7, 1])
    cold = fitted()
    cold.fit(X4, [0, 1, 2, 1])
    assert cold.n_iter_ == 1 and len(cold.cost_history_) == 1


def test_a_warm_start_on_other_layer_sizes_starts_afresh():
    net = fitted(warm_start=True)
    net.hidden_layers = (2,)
    net.fit(X4, [0, 1, 2, 1])
    assert net.layer_sizes == (2, 2, 3) and net.n_iter_ == 1


def test_predictions_scores_and_cost_gradient():
    net = fitted()
    proba = net.predict_proba(X4)
    acts = net.activations(X4)
    assert acts[0].dtype == np.float64 and len(acts) == 3 and proba is not None
    np.testing.assert_array_equal(acts[-1], proba)
    assert net.predict(X4).tolist() == np.argmax(proba, 1).tolist()
    y = np.array([0, 1, 2, 1])
    assert net.score(X4, y) == np.mean(np.argmax(proba, 1) == y)
    cost, grads = net.cost_gradient(X4, y)
    want_cost, want_grad, _ = loss_and_grad(pack(net.thetas), layer_table((2, 3, 3)), X4,
                                            np.eye(3)[y], 1.0)
    assert cost == want_cost and np.array_equal(pack(grads), want_grad)
    assert net.cost_gradient(X4, np.eye(3)[y])[0] == cost
    with refused("y must be 1-D with 4 labels, got shape (3,)"):
        net.score(X4, y[:3])
    with refused("y must be 1-D with 4 labels, got shape (3,)"):
        net.cost_gradient(X4, y[:3])
    with refused("X must have 2 features (columns), got 1"):
        net.cost_gradient(X4[:, :1], y)


def test_unfitted_models_say_what_to_call():
    message = "this NeuralNetwork is not fitted yet: call fit() or from_thetas()"
    net = NeuralNetwork()
    for call in (lambda: net.layer_sizes, lambda: net.predict(X4), lambda: net.score(X4, [0]),
                 lambda: net.cost_gradient(X4, [0]), lambda: net.activations(X4),
                 lambda: net.save("x.npz")):
        with refused(message):
            call()


def test_from_thetas_checks_what_it_is_given():
    thetas = [np.zeros((3, 4)), np.zeros((5, 2))]
    net = NeuralNetwork.from_thetas(thetas, classes=["a", "b"], activation="tanh")
    assert net.classes_.tolist() == ["a", "b"] and net.activation == "tanh"
    assert net.n_iter_ == 0 and net.n_fev_ == 0 and net.cost_history_ == []
    assert net.val_cost_history_ == [] and net.train_accuracy_history_ == []
    assert net.val_accuracy_history_ == []
    assert NeuralNetwork.from_thetas(thetas).classes_.tolist() == [0, 1]
    with refused("classes must list 2 labels, one per output unit"):
        NeuralNetwork.from_thetas(thetas, classes=[0, 1, 2])
    with refused("hidden_layers (3,) do not match the thetas' shapes"):
        NeuralNetwork.from_thetas(thetas, hidden_layers=(3,))
    with refused("hidden_layers (4,) give 22 parameters for 2 inputs and 2 outputs; "
                 "max_params allows at most 21"):
        NeuralNetwork.from_thetas(thetas, max_params=21)
