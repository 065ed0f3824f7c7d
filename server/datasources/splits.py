"""Stratified, seeded train / validation splits."""

from __future__ import annotations

import numpy as np


def train_validation_split(X, y, fraction: float, random_state: int | None = 0):
    """Split off a stratified validation set, deterministically for a given seed.

    Each class contributes its share of the ``round(fraction * n)`` validation rows
    (largest-remainder rounding); both parts keep the original row order.

    Parameters
    ----------
    X : array_like, shape (n, n_features)
    y : array_like, shape (n,)
    fraction : float in [0, 1)
    random_state : int or None

    Returns
    -------
    X_train, y_train, X_val, y_val : ndarrays
        Shapes (n - n_val, n_features), (n - n_val,), (n_val, n_features), (n_val,).
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, n_features) and y (n,), got {X.shape} and {y.shape}")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.floating)) \
            or not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_fraction must be a number in [0, 1), got {fraction!r}")
    rng = np.random.default_rng(random_state)
    classes, y_idx = np.unique(y, return_inverse=True)
    counts = np.bincount(y_idx, minlength=len(classes))
    share = fraction * counts
    n_val = np.floor(share).astype(int)
    short = int(round(fraction * len(y))) - n_val.sum()
    if short > 0:  # hand the remaining rows to the largest remainders
        n_val[np.argsort(-(share - n_val), kind="stable")[:short]] += 1
    is_val = np.zeros(len(y), dtype=bool)
    for c, k in enumerate(n_val):
        members = np.flatnonzero(y_idx == c)
        is_val[rng.permutation(members)[:k]] = True
    return X[~is_val], y[~is_val], X[is_val], y[is_val]
