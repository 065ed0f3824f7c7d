"""Initial weights (the `init` setting) and per-layer gradient norms (`grad_norms`)."""

import math

import numpy as np
import pytest

from server.core.explain import full_gradient
from server.core.initializers import INITIALIZERS
from server.core.maths import forward, layer_table, loss_and_grad, pack, unpack
from server.datasets import load_dataset
from server.network import NeuralNetwork


@pytest.fixture(scope="module")
def digits():
    ds = load_dataset("digits20")
    return ds.X_train, np.eye(10)[ds.y_train], ds.y_train


def start(init, X, Y, seed=0):
    sizes = (400, 25, 10)
    thetas = [t.copy() for t in unpack(INITIALIZERS[init].function(
        sizes, np.random.default_rng(seed)), layer_table(sizes))]
    zs = []
    forward(thetas, X, zs=zs)
    norms = [np.linalg.norm(g) for g in full_gradient(thetas, X, Y, 1.0).grads]
    return thetas, zs[0], norms


def test_randn_saturates_the_sigmoids_and_the_first_layer_gradient_vanishes(digits):
    """At iteration 0 on digits20 (400-25-10, lambda 1), measured: |z| > 4 for 54% of
    the hidden units' inputs with randn, none with the scaled init; the first layer's
    gradient is 2.1% of its weights' norm with randn against 22% (in absolute terms
    it is not smaller, 2.09 against 1.50: randn's large output weights amplify delta)."""
    X, Y, _ = digits
    thetas_scaled, z_scaled, norms_scaled = start("scaled_uniform", X, Y)
    thetas_randn, z_randn, norms_randn = start("randn", X, Y)
    saturated = lambda z: float(np.mean(np.abs(z) > 4))  # noqa: E731  sigmoid' < 0.018
    assert saturated(z_scaled) < 0.01
    assert saturated(z_randn) > 0.5
    relative = lambda norms, thetas: norms[0] / np.linalg.norm(thetas[0])  # noqa: E731
    assert relative(norms_randn, thetas_randn) < relative(norms_scaled, thetas_scaled) / 5


def test_the_default_is_scaled_uniform_with_its_bounds():
    assert NeuralNetwork().init == "scaled_uniform" == next(iter(INITIALIZERS))
    flat = INITIALIZERS["scaled_uniform"].function((400, 25, 10), np.random.default_rng(0))
    first, second = unpack(flat, layer_table((400, 25, 10)))
    assert np.abs(first).max() <= math.sqrt(6 / 425) and np.abs(second).max() <= math.sqrt(6 / 35)
    assert np.abs(first).max() > 0.9 * math.sqrt(6 / 425)


def test_randn_is_the_standard_normal_and_reaches_fit(digits):
    X, _, y = digits
    flat = INITIALIZERS["randn"].function((400, 25, 10), np.random.default_rng(0))
    assert abs(flat.std() - 1) < 0.02 and abs(flat.mean()) < 0.02
    seen = []
    NeuralNetwork((25,), max_iter=1, init="randn", random_state=0).fit(
        X[:500], y[:500], callback=lambda info: seen.append(info.grad_norms))
    uniform = []
    NeuralNetwork((25,), max_iter=1, random_state=0).fit(
        X[:500], y[:500], callback=lambda info: uniform.append(info.grad_norms))
    assert seen[0] != uniform[0]
    with pytest.raises(ValueError, match="init must be one of"):
        NeuralNetwork(init="zeros").fit(X[:50], y[:50])


@pytest.mark.parametrize("optimizer", ["L-BFGS-B", "TNC", "adam"])
def test_grad_norms_are_the_per_layer_norms_of_the_gradient_used(digits, optimizer):
    X, Y, y = digits
    X, Y, y = X[:300], Y[:300], y[:300]
    infos = []
    model = NeuralNetwork((25, 8), 1.0, max_iter=3, optimizer=optimizer, random_state=0,
                          batch_size=100)
    model.fit(X, y, callback=lambda info: infos.append(
        (info.grad_norms, info.grad_norm, [t.copy() for t in info.thetas])))
    for grad_norms, grad_norm, thetas in infos:
        assert len(grad_norms) == 3
        assert math.sqrt(sum(n * n for n in grad_norms)) == pytest.approx(grad_norm, rel=1e-12)
        if optimizer != "adam":  # full batch: the gradient at the iteration's weights
            table = layer_table(model.layer_sizes)
            _, grad, _ = loss_and_grad(pack(thetas), table, X, Y, 1.0)
            expected = [np.linalg.norm(g) for g in unpack(grad, table)]
            np.testing.assert_allclose(grad_norms, expected, rtol=1e-9)


def test_init_is_a_train_setting_on_the_wire():
    import json

    from server import protocol
    from server.live.run import model_params

    ok = protocol.parse(json.dumps({"type": "train", "init": "randn"}), protocol.Limits())
    assert ok["init"] == "randn" and model_params(ok)["init"] == "randn"
    assert protocol.parse('{"type": "train"}', protocol.Limits())["init"] == "scaled_uniform"
    with pytest.raises(protocol.ProtocolError) as exc:
        protocol.parse(json.dumps({"type": "train", "init": "zeros"}), protocol.Limits())
    assert exc.value.field == "init" and "randn" in exc.value.message
