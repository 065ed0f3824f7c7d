"""Gradient checking: central differences against backprop (or a broken backprop)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import check_float, check_thetas, check_X
from .maths import ACTIVATIONS, layer_table, pack
from .variants import DEFAULT_VARIANT, VARIANTS

PASS_TOLERANCE = 1e-9   # the course's "less than 1e-9" for a correct backprop
FAIL_THRESHOLD = 1e-3   # every broken variant must reach this on the course's check
COURSE_LAMBDA = 3.0     # checkNNGradients(3)


@dataclass
class GradientCheck:
    """Numeric and analytic gradients side by side at some coordinates."""

    coordinates: list          # [(layer, row, col)] into thetas; row 0 is the bias row
    numeric: np.ndarray        # (k,) central differences of the variant's cost
    analytic: np.ndarray       # (k,) the variant's gradient
    relative_difference: float  # norm(num - ana) / norm(num + ana)


def _relative_difference(numeric, analytic):
    denom = np.linalg.norm(numeric + analytic)
    return float(np.linalg.norm(numeric - analytic) / denom) if denom else 0.0


EPSILON = 1e-3


def check_at(thetas, X, Y, lam, coords, variant=DEFAULT_VARIANT, activation="logistic",
             epsilon=EPSILON) -> GradientCheck:
    """Compare ``VARIANTS[variant]`` with central differences at flat indices ``coords``.

    Everything in float64; ``Y`` is (m, p) one-hot. The difference is the
    fourth-order central one, ``(f(-2e) - 8 f(-e) + 8 f(e) - f(2e)) / (12 e)`` with
    ``e = 1e-3``: the course's two-point difference with ``e = 1e-4`` has truncation
    and rounding errors of about 1e-9 on a trained 400-25-10 network (measured
    8e-10 to 1.8e-8), as large as the tolerance; this one stays near 1e-10.
    """
    fn = VARIANTS[variant].loss_and_grad
    sizes = (thetas[0].shape[0] - 1,) + tuple(t.shape[1] for t in thetas)
    table = layer_table(sizes)
    flat = pack(thetas, np.float64)
    X = np.asarray(X, dtype=np.float64)
    _, grad = fn(flat, table, X, Y, lam, activation)
    numeric = np.empty(len(coords))
    for k, i in enumerate(coords):
        old = flat[i]
        f = {}
        for step in (-2, -1, 1, 2):
            flat[i] = old + step * epsilon
            f[step] = fn(flat, table, X, Y, lam, activation)[0]
        flat[i] = old
        numeric[k] = (f[-2] - 8 * f[-1] + 8 * f[1] - f[2]) / (12 * epsilon)
    analytic = grad[np.asarray(coords, dtype=np.intp)]
    where = []
    for i in coords:
        layer = next(n for n, (s, e, _) in enumerate(table) if s <= i < e)
        s, _, (_, cols) = table[layer]
        where.append((layer, int((i - s) // cols), int((i - s) % cols)))
    return GradientCheck(where, numeric, analytic, _relative_difference(numeric, analytic))


def sample_coordinates(layer_sizes, n_coordinates, rng, bias_per_layer=4):
    """Return sorted flat indices: up to ``bias_per_layer`` of each bias row, the rest at random.

    All coordinates when the network has no more than ``n_coordinates``.
    """
    table = layer_table(layer_sizes)
    total = table[-1][1]
    if total <= n_coordinates:
        return list(range(total))
    chosen = set()
    for start, _, (_, cols) in table:
        picks = rng.choice(cols, size=min(bias_per_layer, cols), replace=False)
        chosen.update(int(start + c) for c in picks)
    rest = np.setdiff1d(np.arange(total), np.fromiter(chosen, int))
    chosen.update(int(i) for i in rng.choice(rest, size=n_coordinates - len(chosen),
                                             replace=False))
    return sorted(chosen)


def debug_weights(fan_in, fan_out):
    """The course's ``debugInitializeWeights``: ``sin(1..n) / 10``, as (fan_in + 1, fan_out).

    The course fills its (fan_out, 1 + fan_in) matrix column by column; its transpose,
    our layout, is the same numbers row by row.
    """
    n = (fan_in + 1) * fan_out
    return np.sin(np.arange(1, n + 1, dtype=np.float64)).reshape(fan_in + 1, fan_out) / 10


def course_problem(hidden_layers=(5,), n_features=3, n_classes=3, n_samples=5):
    """Return ``(thetas, X, Y)`` of the course's ``checkNNGradients``: sin weights and data."""
    sizes = (n_features,) + tuple(hidden_layers) + (n_classes,)
    thetas = [debug_weights(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    X = debug_weights(n_features - 1, n_samples).T  # (m, n): sin(1 + r + c m) / 10
    Y = np.eye(n_classes)[np.arange(1, n_samples + 1) % n_classes]
    return thetas, X, Y


def check_course(variant=DEFAULT_VARIANT, lam=COURSE_LAMBDA, activation="logistic"):
    """``checkNNGradients(lam)``: every coordinate of the 3-5-3 network on 5 samples."""
    thetas, X, Y = course_problem()
    n = sum(t.size for t in thetas)
    return check_at(thetas, X, Y, lam, list(range(n)), variant, activation)


def check_gradients(
    hidden_layers=(5,), regularization_parameter=0.0, n_features=3, n_classes=3,
    n_samples=5, thetas=None, X=None, y=None, n_coordinates=None, epsilon=EPSILON,
    random_state=0, activation="logistic", variant=DEFAULT_VARIANT,
):
    """Return ``norm(num - ana) / norm(num + ana)``: central differences against backprop.

    With no ``thetas``, builds a small random network (the course's
    ``checkNNGradients``); with ``thetas``, ``X`` and ``y``, checks those, at
    ``n_coordinates`` randomly sampled coordinates (all when None). ``activation``
    names the hidden units' function (``ACTIVATIONS``); ``variant`` a backprop of
    ``VARIANTS`` (the real one by default).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {tuple(VARIANTS)}, got {variant!r}")
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
    lam = check_float("regularization_parameter", regularization_parameter, low=0.0)
    n = sum(t.size for t in thetas)
    coords = np.arange(n)
    if n_coordinates is not None and n_coordinates < n:
        coords = rng.choice(n, size=n_coordinates, replace=False)
    return check_at(thetas, X, Y, lam, coords.tolist(), variant, activation,
                    epsilon).relative_difference
