"""Iteration 0: the weights a fit starts from, and their numbers, before its first step.

A run streams them so that every curve starts at the initial weights' cost (the
page plots iteration 0); a race's contenders stream their shared start the same way.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.maths import cost_only, layer_table, one_hot, pack, unpack
from ..core.optimizers import IterationInfo, accuracies
from ..network import NeuralNetwork


def scores(model, X, y) -> tuple[float, float, np.ndarray]:
    """``(cost without weight decay (as `val_cost`), accuracy, per class (p,))`` on ``(X, y)``."""
    index = np.searchsorted(model.classes_, np.asarray(y))
    p = model.classes_.size
    cost, output = cost_only(pack(model.thetas), layer_table(model.layer_sizes),
                             np.asarray(X, dtype=np.float64), one_hot(index, p), 0.0,
                             model.activation)
    accuracy, per_class = accuracies(output, index,
                                     np.bincount(index, minlength=p).astype(np.float64))
    return float(cost), accuracy, per_class


def initial_thetas(model, n_features, classes) -> list[np.ndarray]:
    """The weights ``model.fit`` will start from: drawn from its ``random_state`` as fit does."""
    sizes = (n_features, *model._validated_params(), classes.size)
    flat = model._initial_flat(sizes, np.random.default_rng(model.random_state))
    return [t.copy() for t in unpack(flat, layer_table(sizes))]


def start_model(model, n_features, classes) -> NeuralNetwork:
    """A fitted-looking copy of ``model`` at the weights its fit will start from."""
    thetas = initial_thetas(model, n_features, classes)
    return NeuralNetwork.from_thetas(thetas, classes, **model.get_params())


def start_info(model, X, y, X_val=None, y_val=None) -> IterationInfo:
    """Iteration 0 of ``model`` (at its current weights) on ``(X, y)``, as fit reports one."""
    cost, grads = model.cost_gradient(X, y)
    grad_norms = tuple(math.sqrt(float(np.sum(g * g))) for g in grads)
    _, accuracy, per_class = scores(model, X, y)
    val_cost = val_accuracy = val_per_class = None
    if X_val is not None:
        val_cost, val_accuracy, val_per_class = scores(model, X_val, y_val)
    return IterationInfo(0, 0, cost, math.sqrt(sum(n * n for n in grad_norms)), 0.0,
                         accuracy, val_cost, val_accuracy, per_class, val_per_class,
                         grad_norms, _flat=pack(model.thetas),
                         _table=layer_table(model.layer_sizes))
