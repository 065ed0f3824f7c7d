"""Argument checks shared by the estimator, model files and gradient checking.

Every error is a ValueError that names the argument and what is allowed.
"""

from __future__ import annotations

import math

import numpy as np


def check_int(name, value, low, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return int(value)


def check_float(name, value, low=None, low_open=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or (low is not None and (v <= low if low_open else v < low)):
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return v


def check_X(X, name="X", n_features=None):
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must have at least one sample and one feature, got {X.shape}")
    if not np.issubdtype(X.dtype, np.number) or np.iscomplexobj(X):
        raise ValueError(f"{name} must hold real numbers, got dtype {X.dtype}")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} holds NaN or infinite values; all values must be finite")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features (columns), got {X.shape[1]}")
    return X


def check_thetas(thetas):
    """Return thetas as float64 arrays after checking that their shapes chain."""
    if isinstance(thetas, np.ndarray) or not isinstance(thetas, (list, tuple)) or not thetas:
        raise ValueError("thetas must be a non-empty list of 2-D arrays (n_in + 1, n_out)")
    out = []
    for i, t in enumerate(thetas):
        t = np.asarray(t)
        if t.ndim != 2 or t.shape[0] < 2 or t.shape[1] < 1:
            raise ValueError(f"thetas[{i}] must be 2-D (n_in + 1, n_out), got shape {t.shape}")
        if not np.issubdtype(t.dtype, np.floating) and not np.issubdtype(t.dtype, np.integer):
            raise ValueError(f"thetas[{i}] must hold real numbers, got dtype {t.dtype}")
        if not np.isfinite(t).all():
            raise ValueError(f"thetas[{i}] holds NaN or infinite values")
        if i and t.shape[0] != out[-1].shape[1] + 1:
            raise ValueError(
                f"thetas[{i}] has {t.shape[0]} rows but thetas[{i - 1}] has {out[-1].shape[1]} "
                f"outputs: expected {out[-1].shape[1] + 1} rows (bias + inputs)"
            )
        out.append(np.array(t, dtype=np.float64))
    return out
