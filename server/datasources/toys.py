"""Seeded 2-D toy data sets: one :class:`Toy` entry each in ``TOYS``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dataset import Dataset

MARGIN = 0.1  # clean gap each side of the xor and sine boundaries, in drawing units
TOY_N_POINTS = 400  # training points by default; the test set has n_points // 4 more
TOY_DATA_SEED = 0   # every toy is drawn from this seed unless given another
N_POINTS_RANGE = (10, 100_000)


def _balanced_labels(n, k):
    return np.arange(n) % k  # (n,) classes 0..k-1, counts differ by at most one


def _xor(n, k, rng):
    # Like TensorFlow Playground's, the quadrants keep a gap from the axes, so that the
    # default noise seldom carries a point into the other class's quadrant.
    y = _balanced_labels(n, 2)
    X = rng.uniform(MARGIN, 1, (n, 2)) * rng.choice([-1, 1], (n, 1))  # quadrant I or III
    X[y == 1, 0] *= -1  # class 1: quadrant II or IV
    return X, y


def _circles(n, k, rng):
    y = _balanced_labels(n, 2)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 0, 1.0, 0.5)
    return np.c_[radius * np.cos(angle), radius * np.sin(angle)], y


def _spiral(n, k, rng):
    y = _balanced_labels(n, k)
    r = rng.uniform(0.05, 1.0, n)
    angle = 1.75 * 2 * np.pi * r + 2 * np.pi * y / k  # 1.75 turns per arm
    return np.c_[r * np.cos(angle), r * np.sin(angle)], y


def _gaussians(n, k, rng):
    y = _balanced_labels(n, k)
    centre_angle = 2 * np.pi * y / k + np.pi / 4
    return 0.6 * np.c_[np.cos(centre_angle), np.sin(centre_angle)], y  # noise makes the blobs


def sine_boundary(x):
    """The sine set's boundary ``v = 0.5 sin(1.5 pi u)`` in drawing units [-1, 1]."""
    return 0.5 * np.sin(1.5 * np.pi * x)


def _sine(n, k, rng):
    y = _balanced_labels(n, 2)
    x = rng.uniform(-1, 1, n)
    edge = sine_boundary(x)
    # class 0 below the wave, class 1 above it, each uniform over its side minus a gap
    below = -1 + (edge - MARGIN + 1) * rng.uniform(0, 1, n)
    above = edge + MARGIN + (1 - edge - MARGIN) * rng.uniform(0, 1, n)
    return np.c_[x, np.where(y == 0, below, above)], y


@dataclass(frozen=True)
class Toy:
    """One 2-D toy: how it is drawn, its defaults, and the settings that learn it.

    ``make(n, n_classes, rng)`` returns points in [-1, 1]^2 (n, 2) and labels (n,);
    ``noise`` is the default Gaussian std in those units; ``classes_fixed`` toys
    have exactly ``n_classes``. ``recommended`` are train settings (the wire's
    names) that reach the accuracy tests/test_recommended.py checks, in a run that
    takes 10-30 s to watch at its ``delay_ms``.
    """

    id: str
    name: str
    description: str
    make: object
    noise: float
    n_classes: int
    classes_fixed: bool
    recommended: dict

    def data_params(self) -> dict:
        """The defaults of the parameters a toy takes on the wire."""
        return {"noise": self.noise, "n_points": TOY_N_POINTS, "data_seed": TOY_DATA_SEED}


def _settings(hidden_layers, lam, optimizer, max_iter, activation, delay_ms):
    return {"hidden_layers": list(hidden_layers), "regularization_parameter": lam,
            "optimizer": optimizer, "max_iter": max_iter, "activation": activation,
            "delay_ms": delay_ms}


TOYS = {t.id: t for t in (
    Toy("xor", "XOR (2-D)",
        "Four quadrants, opposite ones share a class: no single line separates them.",
        _xor, 0.05, 2, True, _settings([6], 0.1, "TNC", 40, "tanh", 400)),
    Toy("circles", "Circles (2-D)", "A disc inside a ring: needs a closed boundary.",
        _circles, 0.05, 2, True, _settings([6], 0.1, "TNC", 40, "tanh", 400)),
    Toy("spiral", "Spiral (2-D)", "Interleaved spiral arms: needs several hidden units.",
        _spiral, 0.05, 2, False, _settings([16, 16], 0.01, "TNC", 150, "tanh", 100)),
    Toy("gaussians", "Gaussian blobs (2-D)", "Gaussian blobs around a circle, one per class.",
        _gaussians, 0.15, 3, False, _settings([3], 0.1, "TNC", 30, "tanh", 500)),
    Toy("sine", "Sine wave (2-D)",
        "Points above and below a sine wave: a boundary that bends twice.",
        _sine, 0.05, 2, True, _settings([6], 0.01, "TNC", 60, "tanh", 250)),
)}


def _check_range(field_name, value, low, high, kind=float):
    ok_type = isinstance(value, (int, np.integer)) if kind is int else (
        isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool))
    if isinstance(value, bool) or not ok_type or not (low <= value <= high):
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"{field_name} must be {what} in [{low}, {high}], got {value!r}")
    return kind(value)


def make_toy(name: str, *, n_points: int = TOY_N_POINTS, n_test: int | None = None,
             noise: float | None = None, data_seed: int = TOY_DATA_SEED,
             n_classes: int | None = None) -> Dataset:
    """Generate a seeded 2-D toy data set with features in [0, 1].

    The pattern is drawn in [-1, 1]^2, Gaussian noise of std ``noise`` (default: the
    toy's own) is added to the coordinates (labels stay those of the clean point),
    and the plane is mapped to [0, 1]^2 by ``u = (v + 1.5) / 3`` then clipped, so the
    clean pattern fills [1/6, 5/6] and the map is the same at every noise level.
    ``n_points`` training points and ``n_test`` (default ``n_points // 4``) test
    points come from one stream seeded by ``data_seed``.

    Returns
    -------
    Dataset
        ``X_*`` shape (n, 2) float64, classes balanced to within one example.
    """
    if name not in TOYS:
        raise ValueError(f"toy: unknown id {name!r}; allowed: {', '.join(TOYS)}")
    toy = TOYS[name]
    n_points = _check_range("n_points", n_points, *N_POINTS_RANGE, int)
    n_test = n_points // 4 if n_test is None else _check_range("n_test", n_test, 0, 100_000, int)
    noise = toy.noise if noise is None else _check_range("noise", noise, 0.0, 1.0)
    data_seed = _check_range("data_seed", data_seed, 0, 2**32 - 1, int)
    if n_classes is None:
        n_classes = toy.n_classes
    elif toy.classes_fixed:
        if n_classes != toy.n_classes:
            raise ValueError(f"n_classes: {name} has exactly {toy.n_classes} classes, "
                             f"got {n_classes!r}")
    else:
        n_classes = _check_range("n_classes", n_classes, 2, 8, int)
    rng = np.random.default_rng(data_seed)
    parts = []
    for n in (n_points, n_test):  # train, then test, from one stream
        X, y = toy.make(n, n_classes, rng)  # (n, 2) in [-1, 1], (n,)
        X = X + rng.normal(0.0, noise, X.shape) if noise > 0 else X
        order = rng.permutation(n)
        parts += [np.clip((X[order] + 1.5) / 3.0, 0.0, 1.0), y[order].astype(np.int64)]
    params = {"n_points": n_points, "n_test": n_test, "noise": noise,
              "data_seed": data_seed, "n_classes": n_classes}
    return Dataset(name, toy.name, *parts, image_shape=None,
                   class_names=[str(c) for c in range(n_classes)],
                   description=toy.description, source="generated (seeded) by server.datasets",
                   kind="points", params=params)


def toy_summary(toy: Toy) -> dict:
    """The toy's entry of ``list_datasets()`` (its default parameters)."""
    return {"id": toy.id, "name": toy.name, "description": toy.description,
            "image_shape": None, "n_features": 2,
            "class_names": [str(c) for c in range(toy.n_classes)], "n_train": TOY_N_POINTS,
            "n_test": TOY_N_POINTS // 4, "kind": "points",
            "recommended": dict(toy.recommended), "data_params": toy.data_params()}
