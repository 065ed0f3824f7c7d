"""Initial weights: a name-keyed registry (the train setting ``init``).

``scaled_uniform`` is the project's: uniform in ``+-sqrt(6 / (n_in + n_out))``
(Glorot and Bengio, 2010), so every unit starts in the linear part of its sigmoid.
``randn`` is the post's ``np.random.randn``: standard normal weights, with which a
unit of 400 inputs starts at ``|z|`` of about 10, far into the flat tails of the
sigmoid, and the first layer's gradient all but vanishes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def scaled_uniform(layer_sizes, rng):
    """Return flat float64 thetas uniform in ``+-sqrt(6 / (n_in + n_out))``."""
    parts = []
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        bound = math.sqrt(6.0 / (n_in + n_out))
        parts.append(rng.uniform(-bound, bound, size=(n_in + 1, n_out)).ravel())
    return np.concatenate(parts)


def randn(layer_sizes, rng):
    """Return flat float64 thetas drawn from the standard normal, bias rows included."""
    return np.concatenate([rng.standard_normal((n_in + 1) * n_out)
                           for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])])


@dataclass(frozen=True)
class Initializer:
    """One way to draw the first weights: ``function(layer_sizes, rng) -> flat float64``."""

    name: str
    label: str
    function: object


INITIALIZERS = {i.name: i for i in (
    Initializer("scaled_uniform", "Scaled uniform", scaled_uniform),
    Initializer("randn", "Standard normal (the post's randn)", randn),
)}
DEFAULT_INIT = "scaled_uniform"
