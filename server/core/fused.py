"""The logistic layers' elementwise passes, fused into compiled loops (numba).

numpy runs ``a (1 - a) delta`` as three passes over an (m, h) array with a
temporary, and the output layer as about fifteen small passes; each loop here reads
its arrays once. ``exp`` and ``log`` stay numpy's: its vectorised ``exp`` (0.75 ns
per float64 value) beats the scalar libm call a compiled loop makes (6 ns), so the
sigmoid is three passes: bias and clip (here), ``exp`` (numpy), ``1 / (1 + e)``
(here). Same maths as :mod:`activations` and ``costs.cost_of_negated`` to rounding;
sums are accumulated in float64 in a different order.

Each kernel takes the C-contiguous storage of an (m, k) array: ``(m, k)`` itself
(row-major, the unit's values ``k`` apart) or its transpose ``(k, m)`` (unit-major),
with ``per_row`` telling which axis the k units are. The kernels compile once per
dtype on first use and are cached on disk (:func:`cache_dir`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numba
import numpy as np
from numba import njit

from .activations import _EXP_BOUND

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def cache_dir(environ=os.environ):
    """Return where the compiled kernels are cached: ``$NUMBA_CACHE_DIR``, else the user's.

    numba's default, ``__pycache__`` beside this file, would write into an installed
    package; the user's cache is ``$XDG_CACHE_HOME/backprop-lab/numba`` (default
    ``~/.cache/backprop-lab/numba``), beside an installed copy's data set cache.
    """
    if environ.get("NUMBA_CACHE_DIR"):
        return Path(environ["NUMBA_CACHE_DIR"])
    xdg = environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "backprop-lab" / "numba"


def _kernel(**options):
    """Compile with numba, cached in :func:`cache_dir` if it can be written, else per process."""
    options = dict(error_model="numpy", nogil=True, **options)

    def decorate(fn):
        saved = numba.config.CACHE_DIR  # read by numba's cache locator as it is set up
        numba.config.CACHE_DIR = str(cache_dir())
        try:
            return njit(cache=True, **options)(fn)
        except RuntimeError:  # numba found no writable cache directory for this file
            return njit(**options)(fn)
        finally:
            numba.config.CACHE_DIR = saved
    return decorate


_jit = _kernel()
# Reassociating lets the compiler split a sum into vector lanes; nothing else here
# reorders (the products are two factors).
_jit_sum = _kernel(fastmath={"reassoc"})


def storage(a):
    """Return ``(s, per_row)``: the C-contiguous 2-D array under ``a`` (m, k) and its unit axis.

    ``per_row`` is True when ``s`` is ``a.T`` (k, m), unit-major. Raises ``ValueError``
    for an array that is neither C- nor Fortran-contiguous.
    """
    if a.flags.c_contiguous:
        return a, False
    if a.flags.f_contiguous:
        return a.T, True
    raise ValueError(f"fused kernels need a contiguous array, got strides {a.strides}")


def _like(a, per_row):
    """Return the storage of ``a``, which must be laid out like the array of ``per_row``."""
    s, a_per_row = storage(a)
    if a_per_row != per_row:
        raise ValueError("fused kernels need their (m, k) arrays in one layout, got "
                         f"{'unit' if a_per_row else 'row'}-major against "
                         f"{'unit' if per_row else 'row'}-major")
    return s


@_jit
def _bias_clip(s, b, bound, per_row):  # pragma: no cover (compiled)
    """``s = clip(s - b, -bound, bound)``, ``b`` along the unit axis."""
    rows, cols = s.shape
    for i in range(rows):
        for j in range(cols):
            v = s[i, j] - (b[i] if per_row else b[j])
            v = bound if v > bound else v
            s[i, j] = -bound if v < -bound else v


@_jit
def _reciprocal_1p(e, one):  # pragma: no cover (compiled)
    """``e = 1 / (1 + e)`` on a flat array: the sigmoid from ``exp(-z)``."""
    for i in range(e.shape[0]):
        e[i] = one / (one + e[i])


@_jit_sum
def _slope_sums(a, d, sums, per_row, accumulate):  # pragma: no cover (compiled)
    """``d *= a (1 - a)``; write (or add) the unit sums of the new ``d`` into ``sums``."""
    rows, cols = a.shape
    one = a.dtype.type(1)
    if not accumulate:
        sums[:] = 0
    acc = np.zeros(sums.shape[0], dtype=np.float64)
    for i in range(rows):
        total = 0.0
        for j in range(cols):
            v = d[i, j] * (a[i, j] * (one - a[i, j]))
            d[i, j] = v
            if per_row:
                total += v
            else:
                acc[j] += v
        if per_row:
            acc[i] = total
    for k in range(sums.shape[0]):
        sums[k] += acc[k]


@_jit_sum
def _output_first(s, b, y, bound, per_row):  # pragma: no cover (compiled)
    """``s = clip(s - b)``; return ``sum(y v - min(v, 0))`` of ``v = s - b`` (before the clip).

    For 0/1 targets, ``y v - min(v, 0)`` is ``max(t, 0)`` of ``t = z`` (y = 0) or ``-z``
    (y = 1), the exact part of each unit's cross-entropy (``costs.cost_of_negated``).
    """
    rows, cols = s.shape
    total = 0.0
    for i in range(rows):
        for j in range(cols):
            v = s[i, j] - (b[i] if per_row else b[j])
            total += y[i, j] * v - (v if v < 0 else 0)
            v = bound if v > bound else v
            s[i, j] = -bound if v < -bound else v
    return total


@_jit_sum
def _output_second(e, y, out, delta, scale, sums, per_row):  # pragma: no cover (compiled)
    """From ``e = exp(-z)``: the output, ``delta = (out - y) scale`` and its unit sums.

    Overwrites ``e`` with ``max(out, 1 - out)``, whose log is the rest of the cost.
    """
    rows, cols = e.shape
    one = e.dtype.type(1)
    acc = np.zeros(sums.shape[0], dtype=np.float64)
    for i in range(rows):
        total = 0.0
        for j in range(cols):
            o = one / (one + e[i, j])
            out[i, j] = o
            d = (o - y[i, j]) * scale
            delta[i, j] = d
            e[i, j] = max(o, one - o)
            if per_row:
                total += d
            else:
                acc[j] += d
        if per_row:
            acc[i] = total
    for k in range(sums.shape[0]):
        sums[k] = acc[k]


def _bound(dtype):
    return dtype.type(_EXP_BOUND[dtype])


def sigmoid_of_negated(zn, b):
    """Return ``sigmoid(-(zn - b))`` written over ``zn`` (m, k); ``b`` (k,) is the bias.

    Equal to ``activations.sigmoid_of_negated(zn - b)`` to rounding: the same clip
    and numpy's ``exp``.
    """
    s, per_row = storage(zn)
    _bias_clip(s, b, _bound(s.dtype), per_row)
    np.exp(s, out=s)
    _reciprocal_1p(s.reshape(-1), s.dtype.type(1))
    return zn


def logistic_slope(a, delta, sums, accumulate=False):
    """``delta *= a (1 - a)`` in place; write (or add) ``delta.sum(axis=0)`` into ``sums``.

    ``a`` and ``delta`` (m, h) share one layout; ``sums`` (h,) is the bias row of
    the layer's gradient.
    """
    s, per_row = storage(a)
    _slope_sums(s, _like(delta, per_row), sums, per_row, accumulate)


def output_layer(zn, b, Y, scale, sums):
    """Return ``(cost, output, delta)`` of the logistic output layer from ``zn = a @ (-W)``.

    ``zn`` (m, p) is overwritten; ``b`` (p,) is the bias, ``Y`` (m, p) the 0/1
    targets laid out as ``zn``. ``cost`` is the summed cross-entropy,
    ``delta = (output - Y) scale`` and ``sums`` (p,) receives ``delta.sum(axis=0)``.
    """
    s, per_row = storage(zn)
    ys = _like(Y, per_row)
    linear = _output_first(s, b, ys, _bound(s.dtype), per_row)
    np.exp(s, out=s)
    output, delta = np.empty_like(zn), np.empty_like(zn)
    _output_second(s, ys, storage(output)[0], storage(delta)[0], s.dtype.type(scale), sums,
                   per_row)
    return linear - float(np.log(s, out=s).sum()), output, delta


@_jit_sum
def _regularize(w, g, scale):  # pragma: no cover (compiled)
    """``g += scale w`` on flat arrays; return ``sum(w**2)``, squared and summed in float64."""
    total = 0.0
    for i in range(w.shape[0]):
        v = w[i]
        x = np.float64(v)
        total += x * x
        g[i] += scale * v
    return total


def regularize(w, g, scale):
    """Add ``scale * w`` to ``g`` (both C-contiguous, one shape); return ``sum(w**2)``."""
    return _regularize(w.reshape(-1), g.reshape(-1), g.dtype.type(scale))
