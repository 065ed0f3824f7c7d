"""Gradient checking: central differences against backprop."""

from __future__ import annotations

import numpy as np

from .checks import check_float, check_thetas, check_X
from .maths import ACTIVATIONS, layer_table, loss_and_grad, pack


def check_gradients(
    hidden_layers=(5,), regularization_parameter=0.0, n_features=3, n_classes=3,
    n_samples=5, thetas=None, X=None, y=None, n_coordinates=None, epsilon=1e-4,
    random_state=0, activation="logistic",
):
    """Return ``norm(num - ana) / norm(num + ana)``: central differences against backprop.

    With no ``thetas``, builds a small random network (the course's
    ``checkNNGradients``); with ``thetas``, ``X`` and ``y``, checks those, at
    ``n_coordinates`` randomly sampled coordinates (all when None). ``activation``
    names the hidden units' function (``ACTIVATIONS``).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
    rng = np.random.default_rng(random_state)
    if thetas is None:
        sizes = (n_features,) + tuple(hidden_layers) + (n_classes,)
        thetas = [rng.uniform(-1, 1, size=(a + 1, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        X = rng.uniform(-1, 1, size=(n_samples, n_features))
        y = np.arange(n_samples) % n_classes
    thetas = check_thetas(thetas)
    X = check_X(X).astype(np.float64)
    p = thetas[-1].shape[1]
    y = np.asarray(y)
    Y = y.astype(np.float64) if y.ndim == 2 else np.eye(p)[y]
    sizes = (thetas[0].shape[0] - 1,) + tuple(t.shape[1] for t in thetas)
    table = layer_table(sizes)
    lam = check_float("regularization_parameter", regularization_parameter, low=0.0)
    flat = pack(thetas)
    _, grad, _ = loss_and_grad(flat, table, X, Y, lam, activation=activation)
    coords = np.arange(flat.size)
    if n_coordinates is not None and n_coordinates < flat.size:
        coords = rng.choice(flat.size, size=n_coordinates, replace=False)
    numeric = np.empty(coords.size)
    for k, i in enumerate(coords):
        old = flat[i]
        flat[i] = old + epsilon
        plus = loss_and_grad(flat, table, X, Y, lam, activation=activation)[0]
        flat[i] = old - epsilon
        minus = loss_and_grad(flat, table, X, Y, lam, activation=activation)[0]
        flat[i] = old
        numeric[k] = (plus - minus) / (2 * epsilon)
    analytic = grad[coords]
    denom = np.linalg.norm(numeric + analytic)
    return float(np.linalg.norm(numeric - analytic) / denom) if denom else 0.0
