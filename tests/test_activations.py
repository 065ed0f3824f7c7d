"""Hidden activations: logistic (the post's), tanh and relu, with logistic outputs."""

import json

import numpy as np
import pytest

from server.network import ACTIVATIONS, NeuralNetwork, check_gradients, forward

# The independent reference: each function and its derivative through z, as a textbook
# writes them (the engine writes the derivative through the unit's output instead).
REFERENCE = {
    "logistic": (lambda z: 1 / (1 + np.exp(-z)),
                 lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
}


def loop_cost_and_gradient(thetas, X, y, lam, activation):
    """Per-sample backpropagation with explicit bias columns and g'(z) from z."""
    g, g_prime = REFERENCE[activation]
    m, p = X.shape[0], thetas[-1].shape[1]
    grads = [np.zeros_like(t) for t in thetas]
    cost = 0.0
    for i in range(m):
        a, zs = [np.concatenate([[1.0], X[i]])], []
        for k, t in enumerate(thetas):
            z = a[-1] @ t
            zs.append(z)
            last = k == len(thetas) - 1
            a.append(REFERENCE["logistic"][0](z) if last else np.concatenate([[1.0], g(z)]))
        target = np.eye(p)[y[i]]
        out = a[-1]
        cost -= np.sum(target * np.log(out) + (1 - target) * np.log(1 - out))
        delta = out - target
        for k in range(len(thetas) - 1, -1, -1):
            grads[k] += np.outer(a[k], delta)
            if k:
                delta = (thetas[k] @ delta)[1:] * g_prime(zs[k - 1])
    cost /= m
    for k, t in enumerate(thetas):
        cost += lam / (2 * m) * np.sum(t[1:] ** 2)
        grads[k] /= m
        grads[k][1:] += lam / m * t[1:]
    return cost, grads


def test_the_registry_holds_scikit_learns_names_with_logistic_first():
    assert list(ACTIVATIONS) == ["logistic", "tanh", "relu"]
    assert NeuralNetwork().activation == "logistic"


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("hidden", [(5,), (4, 3, 5)], ids=["1-hidden", "3-hidden"])
@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_backprop_matches_central_differences(activation, hidden, lam):
    for seed in range(3):
        difference = check_gradients(hidden_layers=hidden, regularization_parameter=lam,
                                     random_state=seed, activation=activation)
        assert difference <= 1e-8, (seed, difference)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("hidden", [(6,), (5, 4)])
def test_vectorised_backprop_matches_a_per_sample_loop(activation, hidden):
    rng = np.random.default_rng(3)
    X, y = rng.uniform(-1, 1, size=(40, 7)), np.arange(40) % 4
    model = NeuralNetwork(hidden, 0.7, max_iter=2, activation=activation,
                          random_state=4).fit(X, y)
    cost, grads = model.cost_gradient(X, y)
    ref_cost, ref_grads = loop_cost_and_gradient(model.thetas, X, y, 0.7, activation)
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-13)


def test_each_activation_gives_different_hidden_units_and_logistic_outputs():
    rng = np.random.default_rng(0)
    thetas = [rng.normal(size=(3, 4)), rng.normal(size=(5, 2))]
    X = rng.normal(size=(6, 2))
    hidden = {}
    for name in ACTIVATIONS:
        activations, z_out = forward(thetas, X, name)
        z1 = X @ thetas[0][1:] + thetas[0][0]
        np.testing.assert_allclose(activations[1], REFERENCE[name][0](z1), rtol=1e-12)
        np.testing.assert_allclose(activations[2], REFERENCE["logistic"][0](z_out), rtol=1e-12)
        hidden[name] = activations[1]
    assert (hidden["relu"] >= 0).all() and (hidden["relu"] == 0).any()
    assert (hidden["tanh"] < 0).any() and (hidden["logistic"] > 0).all()


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_tanh_and_relu_networks_learn_xor(activation):
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    model = NeuralNetwork((8,), 0.0, max_iter=200, activation=activation,
                          random_state=0).fit(X, y)
    assert model.score(X, y) >= 0.97


def test_an_unknown_activation_is_refused_by_name():
    with pytest.raises(ValueError, match=r"activation must be one of \('logistic', 'tanh', "
                                         r"'relu'\), got 'sigmoid'"):
        NeuralNetwork((3,), activation="sigmoid").fit(np.eye(4), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="activation"):
        check_gradients(activation="softmax")


def test_a_model_file_records_its_activation(tmp_path):
    rng = np.random.default_rng(2)
    X, y = rng.uniform(size=(30, 3)), np.arange(30) % 2
    model = NeuralNetwork((4,), activation="tanh", max_iter=5, random_state=0).fit(X, y)
    model.save(tmp_path / "m.npz")
    loaded = NeuralNetwork.load(tmp_path / "m.npz")
    assert loaded.activation == "tanh"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_file_without_an_activation_loads_as_logistic(tmp_path):
    """Files written before activations existed: their params have no such key."""
    rng = np.random.default_rng(5)
    thetas = [rng.normal(size=(4, 3)), rng.normal(size=(4, 2))]
    params = {"hidden_layers": [3], "regularization_parameter": 1.0, "max_iter": 50,
              "optimizer": "TNC", "random_state": 0, "dtype": "float64",
              "learning_rate": None, "batch_size": 128, "max_fun": None,
              "max_params": 10_000_000, "n_threads": None, "tol": None,
              "warm_start": False, "class_names": None, "image_shape": None}
    meta = {"format": "backprop-lab-model", "format_version": 1, "layer_sizes": [3, 3, 2],
            "params": params, "classes": [0, 1], "class_names": None, "image_shape": None,
            "cost_history": [], "n_iter": 0}
    path = tmp_path / "old.npz"
    np.savez(path, theta_0=thetas[0], theta_1=thetas[1], metadata=np.array(json.dumps(meta)))
    model = NeuralNetwork.load(path)
    assert model.activation == "logistic"
    X = rng.uniform(size=(5, 3))
    np.testing.assert_allclose(model.predict_proba(X), forward(thetas, X, "logistic")[0][-1])
