"""Seeded 2-D toy data sets: xor, circles, spiral, gaussians."""

from __future__ import annotations

import numpy as np

from .dataset import Dataset

TOY_DEFAULTS = {  # noise: Gaussian std in the toy's [-1, 1] drawing units
    "xor": {"noise": 0.05, "n_classes": 2},
    "circles": {"noise": 0.05, "n_classes": 2},
    "spiral": {"noise": 0.05, "n_classes": 2},
    "gaussians": {"noise": 0.15, "n_classes": 3},
}
TOY_N_SAMPLES = 400  # training points; the test set has n_samples // 4 more

TOY_NAMES = {"xor": "XOR (2-D)", "circles": "Circles (2-D)", "spiral": "Spiral (2-D)",
              "gaussians": "Gaussian blobs (2-D)"}
TOY_TEXT = {
    "xor": "Four quadrants, opposite ones share a class: no single line separates them.",
    "circles": "A disc inside a ring: needs a closed boundary.",
    "spiral": "Interleaved spiral arms: needs several hidden units.",
    "gaussians": "Gaussian blobs around a circle, one per class.",
}


def _check_range(field_name, value, low, high, kind=float):
    ok_type = isinstance(value, (int, np.integer)) if kind is int else (
        isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool))
    if isinstance(value, bool) or not ok_type or not (low <= value <= high):
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"{field_name} must be {what} in [{low}, {high}], got {value!r}")
    return kind(value)


def make_toy(name: str, *, n_samples: int = TOY_N_SAMPLES, n_test: int | None = None,
             noise: float | None = None, random_state: int = 0,
             n_classes: int | None = None) -> Dataset:
    """Generate a seeded 2-D toy data set with features in [0, 1].

    The pattern is drawn in [-1, 1]^2, Gaussian noise of std ``noise`` is added to
    the coordinates (labels stay those of the clean point), and the plane is mapped
    to [0, 1]^2 by ``u = (v + 1.5) / 3`` then clipped, so the clean pattern fills
    [1/6, 5/6] and the map is the same at every noise level.

    Returns
    -------
    Dataset
        ``X_*`` shape (n, 2) float64, classes balanced to within one example.
    """
    if name not in TOY_DEFAULTS:
        raise ValueError(f"toy: unknown id {name!r}; allowed: {', '.join(TOY_DEFAULTS)}")
    defaults = TOY_DEFAULTS[name]
    n_samples = _check_range("n_samples", n_samples, 10, 100_000, int)
    n_test = n_samples // 4 if n_test is None else _check_range("n_test", n_test, 0, 100_000, int)
    noise = defaults["noise"] if noise is None else _check_range("noise", noise, 0.0, 1.0)
    random_state = _check_range("random_state", random_state, 0, 2**32 - 1, int)
    if n_classes is None:
        n_classes = defaults["n_classes"]
    elif name in ("xor", "circles"):
        if n_classes != 2:
            raise ValueError(f"n_classes: {name} has exactly 2 classes, got {n_classes!r}")
    else:
        n_classes = _check_range("n_classes", n_classes, 2, 8, int)
    rng = np.random.default_rng(random_state)
    parts = []
    for n in (n_samples, n_test):  # train, then test, from one stream
        X, y = _TOY_MAKERS[name](n, n_classes, rng)  # (n, 2) in [-1, 1], (n,)
        X = X + rng.normal(0.0, noise, X.shape) if noise > 0 else X
        order = rng.permutation(n)
        parts += [np.clip((X[order] + 1.5) / 3.0, 0.0, 1.0), y[order].astype(np.int64)]
    params = {"n_samples": n_samples, "n_test": n_test, "noise": noise,
              "random_state": random_state, "n_classes": n_classes}
    return Dataset(name, TOY_NAMES[name], *parts, image_shape=None,
                   class_names=[str(c) for c in range(n_classes)],
                   description=TOY_TEXT[name], source="generated (seeded) by server.datasets",
                   kind="points", params=params)


def _balanced_labels(n, k):
    return np.arange(n) % k  # (n,) classes 0..k-1, counts differ by at most one


def _xor(n, k, rng):
    y = _balanced_labels(n, 2)
    X = rng.uniform(0, 1, (n, 2)) * rng.choice([-1, 1], (n, 1))  # quadrant I or III
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


_TOY_MAKERS = {"xor": _xor, "circles": _circles, "spiral": _spiral, "gaussians": _gaussians}
