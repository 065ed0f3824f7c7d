"""The network's cost: the cross-entropy of its logistic outputs and the weights' penalty.

Kept apart from :mod:`.maths` (the forward and backward passes), which imports them.
Every function is exact for saturated units: no ``log(0)``, no cancellation.
"""

from __future__ import annotations

import numpy as np


def sumsq(a):
    """Return ``sum(a**2)`` without BLAS.

    ``np.vdot`` and ``np.linalg.norm`` call a threaded OpenBLAS ``ddot``; on a busy
    2-core machine a 50k-element ``vdot`` took a median 1.37 ms against 0.019 ms for
    ``einsum`` (bench/engine.py notes).
    """
    flat = a.ravel()
    return float(np.einsum("i,i->", flat, flat))


def softplus_sum(z):
    """Return ``sum(log(1 + exp(z)))`` without overflow (6x faster than ``np.logaddexp``)."""
    return float(np.maximum(z, 0.0).sum() + np.log1p(np.exp(-np.abs(z))).sum())


def data_cost(z_out, Y):
    """Return the summed cross-entropy of sigmoid outputs ``expit(z_out)`` against 0/1 ``Y``.

    ``-[y log(s) + (1 - y) log(1 - s)]`` for ``s = expit(z)`` is ``softplus(z)`` for
    ``y = 0`` and ``softplus(-z)`` for ``y = 1``: finite for any ``z``, so saturated
    units never hit ``log(0)``, and without the cancellation of ``softplus(z) - y z``
    (at ``z = 10``, ``10.0000454 - 10``), which would bury the small cost of a
    well-fitted sample, and its gradient check, in rounding noise.
    """
    return softplus_sum(np.where(Y > 0.5, -z_out, z_out))


def data_cost_terms(z_out, Y):
    """Return each output unit's cross-entropy, shape like ``z_out``; summed, :func:`data_cost`."""
    s = np.where(Y > 0.5, -z_out, z_out)
    return np.maximum(s, 0.0) + np.log1p(np.exp(-np.abs(s)))


def regularization_cost(thetas, lam, m):
    """Return ``lam / (2 m) * sum(theta**2)`` over the non-bias rows (row 0 is the bias)."""
    return 0.5 * lam / m * sum(sumsq(t[1:]) for t in thetas) if lam else 0.0


def cost_of_negated(zn, out, Y):
    """Return :func:`data_cost` from ``zn = -z_out`` and ``out = sigmoid(z_out)``; overwrite ``zn``.

    Each unit's ``softplus(s)`` (``s = z`` for y = 0, ``-z`` for y = 1) is ``max(s, 0)
    - log(max(out, 1 - out))``. The first term is exact for 0/1 targets (``y zn -
    min(zn, 0)``), so there is no cancellation; the second is the log of a number in
    [0.5, 1], accurate to about 1e-16 absolutely, and reuses the sigmoid: one ``log``
    instead of an ``exp`` and a ``log1p``.
    """
    terms = np.multiply(Y, zn)  # (b, p)
    terms -= np.minimum(zn, 0.0, out=zn)  # max(s, 0)
    kept = np.subtract(1.0, out, out=zn)
    np.maximum(kept, out, out=kept)  # max(out, 1 - out): the likelier side, >= 0.5
    terms -= np.log(kept, out=kept)
    return float(terms.sum())
