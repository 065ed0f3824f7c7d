"""The public face of the numeric core: ``from server.network import NeuralNetwork``.

The code lives in :mod:`server.core` (one idea per file); this module keeps the
names callers, tests and benchmarks import.
"""

from __future__ import annotations

from .core.estimator import DTYPES, NeuralNetwork
from .core.gradcheck import check_gradients
from .core.maths import (
    ACTIVATIONS,
    cost_only,
    forward,
    layer_table,
    loss_and_grad,
    pack,
    sigmoid,
    unpack,
)
from .core.optimizers import OPTIMIZER_REGISTRY, OPTIMIZERS, IterationInfo, Optimizer

__all__ = [
    "ACTIVATIONS", "DTYPES", "OPTIMIZERS", "OPTIMIZER_REGISTRY", "IterationInfo",
    "NeuralNetwork", "Optimizer", "check_gradients", "cost_only", "forward", "layer_table",
    "loss_and_grad", "pack", "sigmoid", "unpack",
]
